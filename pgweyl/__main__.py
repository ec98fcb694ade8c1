"""``python -m pgweyl`` runs the pgweyl command."""

from pgweyl.cli import entry

entry()

"""Layer 1: root systems, Weyl groups, alcoves, step sets — exact integer geometry."""

from pgweyl.weyl.affine import affine_orbit_ball
from pgweyl.weyl.alcove import Alcove, Wall
from pgweyl.weyl.cartan import CartanType, parse_cartan
from pgweyl.weyl.paths import count_paths
from pgweyl.weyl.reflectable import check_reflectable
from pgweyl.weyl.root_system import RootSystem
from pgweyl.weyl.samples import SAMPLES, sample_start
from pgweyl.weyl.steps import StepSet
from pgweyl.weyl.weyl_group import WeylGroup, weyl_group_order

__all__ = [
    "Alcove",
    "CartanType",
    "RootSystem",
    "StepSet",
    "Wall",
    "WeylGroup",
    "affine_orbit_ball",
    "check_reflectable",
    "count_paths",
    "parse_cartan",
    "SAMPLES",
    "sample_start",
    "weyl_group_order",
]

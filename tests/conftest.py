"""Test-run policy shared by the whole tree.

The README's ``python -m pytest`` is the newcomer's command and must finish in about four
minutes on two cores (issue 22), so tests measured at over 2.2 s each on two idle cores
(``pytest --durations=0``, 2026-12-06) run in the ``slow`` step instead, which CI runs as
well (``.ci/run``). Every fault class of issue 26 keeps at least one case in the fast run
(a damaged store's symlink case, SIGKILL of a sweep, the bad scheduler addresses, the
agent's faults, probability vectors, outputs onto inputs, θ at the float limit, the
examples' counts). Entries are node-id prefixes: a parametrised test is listed once for
all its cases, or with its case id for one.
"""

from __future__ import annotations

import pytest

#: Node-id prefixes of the tests that run with ``-m slow`` (measured over 2.2 s each).
SLOW_BY_TIME = (
    "tests/cli/test_converge.py::test_converge_json_carries_first_entry_and_the_limit_with_labels",
    "tests/cli/test_converge.py::test_converge_says_the_limit_is_refused_in_2d",
    "tests/cli/test_converge.py::test_converge_text_names_both_and_no_limit_skips_it",
    "tests/cli/test_main.py::test_check_agrees_and_reports_statistics",
    "tests/cli/test_main.py::test_check_exits_1_on_a_planted_wrong_closed_form",
    "tests/cli/test_main.py::test_check_exits_1_on_a_wrong_distribution",
    "tests/cli/test_main.py::test_maxima_json",
    "tests/cli/test_main.py::test_maxima_show_the_basin_interval",
    "tests/cli/test_main.py::test_sweep_json_stdout",
    "tests/cli/test_main.py::test_value_from_a_toml_file",
    "tests/cli/test_main.py::test_value_with_knobs_symbolic_and_latex",
    "tests/exact/test_closed_forms.py::test_routes_agree_at_random_rational_exp_policies[simplex]",
    "tests/exact/test_closed_forms.py::test_routes_agree_symbolically_on_unit_steps[simplex]",
    "tests/faults/test_outputs_and_numbers.py::test_a_huge_step_size_is_refused_by_the_chain_in_words_that_fit",
    "tests/faults/test_outputs_and_numbers.py::test_a_run_refused_midway_writes_no_figure",
    "tests/faults/test_outputs_and_numbers.py::test_an_example_at_a_hopeless_level_is_refused_by_the_budget",
    "tests/faults/test_outputs_and_numbers.py::test_check_at_gamma_next_to_one_answers",
    "tests/faults/test_outputs_and_numbers.py::test_check_at_theta_near_the_float_limit_answers[corridor-e1]",
    "tests/faults/test_outputs_and_numbers.py::test_check_at_theta_near_the_float_limit_answers[corridor-spread]",
    "tests/faults/test_outputs_and_numbers.py::test_check_at_theta_near_the_float_limit_answers[triangle-face]",
    "tests/faults/test_outputs_and_numbers.py::test_check_at_theta_near_the_float_limit_answers[triangle-spread]",
    "tests/faults/test_outputs_and_numbers.py::test_examples_refuse_nonsense_and_hopeless_counts[negative-episodes]",
    "tests/faults/test_outputs_and_numbers.py::test_null_and_stdout_still_take_output",
    "tests/faults/test_outputs_and_numbers.py::test_the_largest_update_count_is_refused_not_an_empty_run",
    "tests/faults/test_sweep_faults.py::test_a_damaged_store_is_refused_then_repaired[corrupt-chunk]",
    "tests/faults/test_sweep_faults.py::test_a_damaged_store_is_refused_then_repaired[deleted-shard]",
    "tests/faults/test_sweep_faults.py::test_a_file_size_limit_leaves_the_store_as_it_was",
    "tests/faults/test_sweep_faults.py::test_a_full_disk_mid_sweep_keeps_the_points_written",
    "tests/faults/test_sweep_faults.py::test_a_scheduler_that_cannot_serve[http-no",
    "tests/faults/test_sweep_faults.py::test_a_scheduler_that_cannot_serve[silent-no",
    "tests/faults/test_sweep_faults.py::test_a_second_sweep_is_refused_and_a_killed_ones_lock_does_not_block",
    "tests/faults/test_sweep_faults.py::test_no_worker_outlives_the_sweep[SIGINT]",
    "tests/faults/test_user_code_and_closed_forms.py::test_agent_output_stays_off_the_json",
    "tests/faults/test_user_code_and_closed_forms.py::test_cli_ctrl_c_during_long_symbolic_work",
    "tests/faults/test_user_code_and_closed_forms.py::test_huge_seeds_refused_by_an_estimate",
    "tests/gym/test_agents.py::test_mean_update_is_lr_times_grad_v[pgweyl/Corridor-v0-kwargs0-theta00-False]",
    "tests/gym/test_agents.py::test_mean_update_is_lr_times_grad_v[pgweyl/TriangleSigned-v0-kwargs1-theta01-True]",
    "tests/gym/test_grading.py::test_harness_reproduces_pgweyl_convergence_probabilities",
    "tests/landscape/test_chain_limit.py::test_first_entry_values_quoted_in_issue_21",
    "tests/landscape/test_maxima.py::test_flat_ridge_is_one_maximum",
    "tests/landscape/test_maxima.py::test_reported_maxima_are_not_saddles[simplex]",
    "tests/landscape/test_maxima.py::test_reported_maxima_are_not_saddles[triangle-signed]",
    "tests/landscape/test_objective.py::test_corridor_maxima_match_a_dense_grid_of_the_peer[corridor-0.02]",
    "tests/landscape/test_objective.py::test_corridor_maxima_match_a_dense_grid_of_the_peer[corridor-0.1]",
    "tests/landscape/test_objective.py::test_corridor_maxima_match_a_dense_grid_of_the_peer[corridor-0.5]",
    "tests/landscape/test_objective.py::test_corridor_maxima_match_a_dense_grid_of_the_peer[corridor:level=4-0.02]",
    "tests/sim/test_natural.py::test_one_update_on_a_large_graph_is_the_exact_natural_step[triangle-knobs2-theta2]",
    "tests/sim/test_reinforce.py::test_one_update_mean_and_covariance[B2-softmax]",
    "tests/sim/test_reproducibility.py::test_same_seed_same_bits_with_one_and_two_threads",
    "tests/study/sweep/test_cluster.py::test_default_local_cluster_of_the_sweep",
    "tests/study/sweep/test_cluster.py::test_local_cluster_is_bit_identical_to_this_process",
    "tests/study/sweep/test_cluster.py::test_own_cluster_runs_without_dask_diagnostics",
    "tests/study/sweep/test_docs_cluster.py::test_cluster_page_code_runs",
    "tests/study/sweep/test_follow.py::test_cli_follow",
    "tests/study/sweep/test_scheduler.py::test_command_against_dask_scheduler_and_worker",
    "tests/study/sweep/test_store.py::test_plain_xarray_sees_the_meaning_of_every_variable",
    "tests/study/test_compare.py::test_cli_writes_table_json_and_figure",
    "tests/study/test_rerun.py::test_compare_reruns_from_its_record",
    "tests/test_faults.py::TestGuardsOnValidInput::test_a_factorisation_over_the_budget_is_refused_not_called_singular",
    "tests/test_faults.py::test_check_rare_event_is_no_disagreement",
    "tests/test_faults.py::test_ctrl_c_during_a_huge_run[check-1e12-episodes]",
    "tests/test_faults.py::test_ctrl_c_during_a_huge_run[converge-1e12-runs]",
    "tests/test_faults.py::test_ctrl_c_during_the_demo_leaves_its_folder_empty",
    "tests/test_faults.py::test_example_refuses_before_computing[closed_form_vs_simulation.py:{out}",
    "tests/test_faults.py::test_example_refuses_before_computing[corridor_difficulty.py:{out}",
    "tests/test_faults.py::test_example_refuses_before_computing[step_size.py:{out}",
    "tests/test_faults.py::test_example_refuses_before_computing[symbolic_vs_simulation.py:{out}",
    "tests/test_faults.py::test_example_refuses_before_computing[update_rules.py:{out}",
    "tests/test_faults.py::test_json_through_a_symlink_writes_the_target",
    "tests/test_faults.py::test_json_to_the_null_device_is_written_in_place",
    "tests/test_faults.py::test_negative_numbers_everywhere",
    "tests/test_plot.py::test_basin_figure_2d",
    "tests/test_plot.py::test_import_does_not_load_matplotlib_and_agg_without_display",
    "tests/test_plot.py::test_landscape_figure_2d_points_to_the_maxima",
    "tests/weyl/test_paths.py::test_reflection_equals_transfer_every_endpoint[D4-10-signed]",
)


@pytest.hookimpl(tryfirst=True)  # before -m 'not slow' deselects by mark
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(SLOW_BY_TIME):
            item.add_marker(pytest.mark.slow)

# Cross-check of the node's exact grid against the independent pandas reference
# (bench/reference_grid.py): synthesised LAs for several seeds and years plus hand-made edge
# cases; the grids must be identical. Needs /usr/bin/python3 with python3-pandas (installed by
# scripts/install-deps.sh); without it the test fails, it is not skipped.
add_test(NAME reference_grid_test
  COMMAND bash ${PROJECT_SOURCE_DIR}/tests/reference_grid_test.sh ${PROJECT_BINARY_DIR}/bin)
set_tests_properties(reference_grid_test PROPERTIES LABELS e2e TIMEOUT 300
  ENVIRONMENT "RINGFENCE_BIN_DIR=${PROJECT_BINARY_DIR}/bin;RINGFENCE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")

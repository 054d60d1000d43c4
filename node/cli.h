// The ringfence-node command line (node/cli.cc has the commands and their flags).
#ifndef RINGFENCE_NODE_CLI_H_
#define RINGFENCE_NODE_CLI_H_

#include "node/round.h"

namespace ringfence::node {

// Runs `ringfence-node argv[1] ...` and returns the exit code. `hooks` is for the test-only
// crash harness (tests/node_crash_harness.cc); the production binary passes null.
int NodeMain(int argc, char** argv, RoundHooks* hooks);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_CLI_H_

// ringfence-node: the LA's node. See node/cli.cc for the commands.
#include "node/cli.h"

int main(int argc, char** argv) { return ringfence::node::NodeMain(argc, argv, nullptr); }

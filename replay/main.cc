// The detsim executable: everything is in run_cli, which tests also call.
#include <iostream>

#include "replay/cli.h"

int main(int argc, char** argv) { return detsim::run_cli(argc, argv, std::cout, std::cerr); }

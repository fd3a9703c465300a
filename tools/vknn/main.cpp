// vknn: the command-line tool. It only composes the library's layers; each subcommand
// registers itself from its own file (cli.h).
#include "cli.h"
#include "guard.h"

int main(int argc, char** argv) {
  return vknn::tools::run_guarded("vknn", [&] { return vknn::tools::run_cli(argc, argv); });
}

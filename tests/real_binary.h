// The real build/detsim as a separate process, for what only a process
// shows: signals, resource limits, a stdout that cannot be written.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace detsim::testing {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Spawned {
  pid_t pid = -1;
  std::filesystem::path out;
  std::filesystem::path err;
};

// Runs build/detsim in its own process group (so a signal reaches its
// workers too) with SIGINT at its default, stdout and stderr to files.
inline Spawned spawn_detsim(std::vector<std::string> args, const std::filesystem::path& dir) {
  Spawned spawned{-1, dir / "stdout.txt", dir / "stderr.txt"};
  args.insert(args.begin(), DETSIM_BINARY);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, spawned.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, spawned.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  EXPECT_EQ(posix_spawn(&spawned.pid, argv[0], &files, &attributes, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attributes);
  return spawned;
}

inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// stderr as a user would see it. Under ASan each process also prints the
// expected "ignoring requested __asan_handle_no_return" warning, three
// lines (docs/engine.md, "Sanitizers and fibers"); those are dropped.
inline std::string stderr_text(const std::filesystem::path& path) {
  std::string text = read_text(path);
#ifdef DETSIM_SANITIZE
  text = std::regex_replace(text,
                            std::regex("==[0-9]+==WARNING: ASan is ignoring requested __asan_handle_no_return[^\n]*\n"
                                       "False positive error reports may follow\n"
                                       "For details see [^\n]*\n"),
                            "");
#endif
  return text;
}

struct ShellRun {
  int code = -1;  // the exit status, or -1 if killed by a signal
  std::string out;
  std::string err;
};

// SCRIPT run by bash in `dir`, with $DETSIM naming the binary: for ulimit,
// trap and redirections, as a user would type them. Descriptors above 2
// that the test runner left open are closed first, so `ulimit -n` counts
// from the same place everywhere.
inline ShellRun run_shell(const std::string& script, const std::filesystem::path& dir) {
  const std::filesystem::path script_path = dir / "script.sh";
  std::ofstream(script_path) << "cd '" << dir.string() << "' || exit 99\nDETSIM='" << DETSIM_BINARY << "'\n"
                             << "for fd in $(seq 3 64); do eval \"exec $fd>&-\"; done\n"
                             << script << "\n";
  const std::string command = "bash '" + script_path.string() + "' >'" + (dir / "shell_out.txt").string() + "' 2>'" +
                              (dir / "shell_err.txt").string() + "'";
  const int status = std::system(command.c_str());
  ShellRun run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = read_text(dir / "shell_out.txt");
  run.err = stderr_text(dir / "shell_err.txt");
  return run;
}

}  // namespace detsim::testing

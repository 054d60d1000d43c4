// Runs the project's binaries from end-to-end tests, with stdout and stderr captured.
// Binaries are found in $RINGFENCE_BIN_DIR (set by ctest for every test).
#ifndef RINGFENCE_TESTS_TESTING_SUBPROCESS_H_
#define RINGFENCE_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace ringfence::testing {

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal or not started
  std::string out;
  std::string err;
};

// Path of a binary in $RINGFENCE_BIN_DIR (or ./bin when unset).
std::string BinaryPath(const std::string& name);

// Runs argv[0] (a path) with argv, waits, captures output. Kills it after `timeout_seconds`.
RunResult RunCommand(const std::vector<std::string>& argv, int timeout_seconds = 120);

// A process running in the background; killed with SIGTERM (then SIGKILL) on destruction.
class BackgroundProcess {
 public:
  // Starts argv with stdout and stderr appended to `log_path`.
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool running() const;
  // SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit code (-1 if signalled).
  int Stop();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  mutable int status_ = 0;
  mutable bool reaped_ = false;
};

// Waits up to `timeout_seconds` for `path` to exist and be non-empty; returns its contents
// or "" on timeout.
std::string WaitForFile(const std::string& path, int timeout_seconds);

// A fresh temporary directory under $TEST_TMPDIR or /tmp.
std::string MakeTempDir(const std::string& prefix);

// A ringfence-coordinator listening on 127.0.0.1 (port chosen by the OS) with the test PKI in
// DIR/pki (coordinator.pem, coordinator.key, ca.pem), the database DIR/coordinator.db, the
// policy `policy_path` and `extra` flags, logging to DIR/coordinator.log.
struct RunningCoordinator {
  std::unique_ptr<BackgroundProcess> process;
  std::string address;  // "127.0.0.1:PORT"; empty if it did not start within 30 s
};
RunningCoordinator StartCoordinator(const std::string& dir, const std::string& policy_path,
                                    const std::vector<std::string>& extra = {});

// The whole file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_SUBPROCESS_H_

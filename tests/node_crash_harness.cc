// TEST-ONLY: ringfence-node with a crash point, for tests/node_crash_e2e_test.cc.
//
//   ringfence-node-crashtest STEP submit --data DIR ... (the ringfence-node submit flags)
//
// STEP is where the process kills itself with SIGKILL (no destructors, no flushing: as a
// power cut or `kill -9` would): after_compute, after_ledger_write, during_send (inside the
// gRPC call, after the request was handed to the transport, before the reply), after_send (the
// coordinator acknowledged; the receipt is not yet in the ledger), or none.
//
// This binary is built only with the tests (RINGFENCE_BUILD_TESTS) and is never installed; the
// production ringfence-node passes no hooks, and no flag or file can install them.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/support/client_interceptor.h"
#include "node/cli.h"
#include "node/round.h"

namespace {

[[noreturn]] void Die() {
  std::raise(SIGKILL);
  std::abort();  // not reached
}

class KillDuringSend : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_SEND_MESSAGE)) {
      Die();
    }
    methods->Proceed();
  }
};

class KillDuringSendFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new KillDuringSend;
  }
};

class CrashHooks : public ringfence::node::RoundHooks {
 public:
  explicit CrashHooks(std::string step) : step_(std::move(step)) {}
  void AfterCompute() override {
    if (step_ == "after_compute") Die();
  }
  void AfterLedgerWrite() override {
    if (step_ == "after_ledger_write") Die();
  }
  void AfterSendBeforeReceipt() override {
    if (step_ == "after_send") Die();
  }
  std::shared_ptr<grpc::Channel> CreateChannel(
      const std::string& target,
      const std::shared_ptr<grpc::ChannelCredentials>& credentials) override {
    if (step_ != "during_send") return RoundHooks::CreateChannel(target, credentials);
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<KillDuringSendFactory>());
    return grpc::experimental::CreateCustomChannelWithInterceptors(
        target, credentials, grpc::ChannelArguments(), std::move(f));
  }

 private:
  std::string step_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ringfence-node-crashtest STEP submit [flags]\n");
    return 2;
  }
  const std::string step = argv[1];
  if (step != "after_compute" && step != "after_ledger_write" && step != "during_send" &&
      step != "after_send" && step != "none") {
    std::fprintf(stderr, "ringfence-node-crashtest: unknown step '%s'\n", step.c_str());
    return 2;
  }
  CrashHooks hooks(step);
  return ringfence::node::NodeMain(argc - 1, argv + 1, &hooks);
}

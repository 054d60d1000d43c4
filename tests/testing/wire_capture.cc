#include "tests/testing/wire_capture.h"

#include <utility>

#include "grpcpp/create_channel.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_interceptor.h"

namespace ringfence::testing {
namespace {

class CaptureInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit CaptureInterceptor(WireCapture* sink) : sink_(sink) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::lock_guard<std::mutex> lock(sink_->mu);
      for (const auto& [k, v] : *methods->GetSendInitialMetadata()) {
        sink_->wire.append(k).append(v);
        sink_->metadata_bytes += k.size() + v.size();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      grpc::ByteBuffer* buffer = methods->GetSerializedSendMessage();
      std::vector<grpc::Slice> slices;
      std::string message;
      if (buffer != nullptr && buffer->Dump(&slices).ok()) {
        for (const grpc::Slice& s : slices) {
          message.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
      std::lock_guard<std::mutex> lock(sink_->mu);
      sink_->wire += message;
      sink_->messages.push_back(std::move(message));
    }
    methods->Proceed();
  }

 private:
  WireCapture* sink_;
};

class CaptureFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit CaptureFactory(WireCapture* sink) : sink_(sink) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new CaptureInterceptor(sink_);
  }

 private:
  WireCapture* sink_;
};

}  // namespace

std::shared_ptr<grpc::Channel> CapturingChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    WireCapture* sink) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> f;
  f.push_back(std::make_unique<CaptureFactory>(sink));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, grpc::ChannelArguments(), std::move(f));
}

}  // namespace ringfence::testing

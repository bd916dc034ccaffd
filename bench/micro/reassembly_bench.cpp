// What this measures: reassembly::TcpStream::on_segment on its own (no decode, no flow lookup),
// one direction of one connection fed 1400-byte segments, in batches of 1000:
//   BM_InOrder         every segment in order: the zero-copy fast path the pipeline lives on;
//   BM_TenPercentOoo   one segment in ten swapped with its successor, so it arrives ahead of a
//                      one-segment hole, is copied into a buffer, and is delivered when the
//                      hole fills (the slow path, including allocation and budget accounting).
// items_per_second is segments/s, bytes_per_second payload bytes/s. The consumer only adds up
// sizes, so the figures are reassembly's own cost. Sequence numbers run on across batches and
// wrap past 2^32 every ~3 million segments.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "reassembly/tcp_stream.hpp"

namespace {

using tattle::reassembly::Context;
using tattle::reassembly::StreamConsumer;
using tattle::reassembly::TcpStream;

constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kAck = 0x10;
constexpr std::uint32_t kSegment = 1400;
constexpr int kBatch = 1000;

class Counting final : public StreamConsumer {
 public:
  void on_data(tattle::core::Bytes bytes) override { bytes_ += bytes.size(); }
  void on_gap(std::uint64_t missing) override { gaps_ += missing; }
  std::uint64_t bytes_ = 0;
  std::uint64_t gaps_ = 0;
};

// Segment k of a batch is sent as the order[k]-th segment of the stream.
void run(benchmark::State& state, const std::vector<int>& order) {
  Context ctx;
  TcpStream stream;
  Counting consumer;
  const std::vector<std::uint8_t> payload(kSegment, 0x42);
  const tattle::core::Bytes bytes(payload.data(), payload.size());
  std::uint32_t isn = 0xF0000000u;
  stream.on_segment(isn, {}, kSyn, ctx, &consumer);
  std::uint32_t base = isn + 1;
  for (auto _ : state) {
    for (const int k : order) stream.on_segment(base + k * kSegment, bytes, kAck, ctx, &consumer);
    base += kBatch * kSegment;
  }
  benchmark::DoNotOptimize(consumer.bytes_);
  if (consumer.gaps_ != 0 || stream.buffered() != 0)
    state.SkipWithError("stream did not reassemble");
  stream.release(ctx);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * std::int64_t{kSegment});
}

void BM_InOrder(benchmark::State& state) {
  std::vector<int> order(kBatch);
  for (int k = 0; k < kBatch; ++k) order[k] = k;
  run(state, order);
}
BENCHMARK(BM_InOrder);

void BM_TenPercentOoo(benchmark::State& state) {
  std::vector<int> order(kBatch);
  for (int k = 0; k < kBatch; ++k) order[k] = k;
  for (int k = 0; k + 1 < kBatch; k += 10) std::swap(order[k], order[k + 1]);
  run(state, order);
}
BENCHMARK(BM_TenPercentOoo);

}  // namespace

BENCHMARK_MAIN();

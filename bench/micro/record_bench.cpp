// What this measures: decrypt::RecordOpener::open on its own (no stream, no key lookup): a batch
// of 64 TLS 1.3 records sealed here with OpenSSL under one key, opened in sequence (the opener is
// keyed anew per batch, which the batch's megabyte makes negligible), and beside it the bare
// EVP AES-GCM decryption of the same bytes, OpenSSL's own rate on this machine, so that what
// the record layer adds shows. bytes_per_second counts ciphertext.
//   BM_Open/N        records of N plaintext bytes (16384: full records, as downloads send them;
//                    1400: records sized to a segment, as some servers send them)
//   BM_EvpOnly/N     the same decryption, one EVP call sequence per record, no record logic
#include <benchmark/benchmark.h>

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "decrypt/record.hpp"

namespace {

using tattle::decrypt::Aead;
using tattle::decrypt::RecordOpener;

constexpr int kRecords = 64;
const std::array<std::uint8_t, 16> kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const std::array<std::uint8_t, 12> kIv = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};

std::array<std::uint8_t, 12> nonce(std::uint64_t seq) { return tattle::decrypt::record_nonce(kIv, seq); }

// kRecords application_data records of `plain` bytes each (content, then the inner type).
std::vector<std::vector<std::uint8_t>> seal(std::size_t plain) {
  std::vector<std::vector<std::uint8_t>> records;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  for (int seq = 0; seq < kRecords; ++seq) {
    std::vector<std::uint8_t> inner(plain + 1, static_cast<std::uint8_t>(seq));
    inner.back() = 23;
    const std::size_t length = inner.size() + tattle::decrypt::kAeadTag;
    std::vector<std::uint8_t> r(tattle::decrypt::kRecordHeader + length);
    r[0] = 23;  // application_data
    r[1] = r[2] = 3;
    r[3] = static_cast<std::uint8_t>(length >> 8);
    r[4] = static_cast<std::uint8_t>(length);
    const auto n = nonce(static_cast<std::uint64_t>(seq));
    int out = 0;
    if (EVP_EncryptInit_ex2(ctx, EVP_aes_128_gcm(), kKey.data(), n.data(), nullptr) != 1 ||
        EVP_EncryptUpdate(ctx, nullptr, &out, r.data(), static_cast<int>(tattle::decrypt::kRecordHeader)) != 1 ||
        EVP_EncryptUpdate(ctx, r.data() + tattle::decrypt::kRecordHeader, &out, inner.data(), static_cast<int>(inner.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx, r.data() + tattle::decrypt::kRecordHeader + out, &out) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, r.data() + r.size() - 16) != 1)
      std::abort();
    records.push_back(std::move(r));
  }
  EVP_CIPHER_CTX_free(ctx);
  return records;
}

void BM_Open(benchmark::State& state) {
  const auto records = seal(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(records.front().size());
  RecordOpener opener;
  std::size_t bytes = 0;
  for (auto _ : state) {
    if (!opener.set_keys(Aead::kAes128Gcm, kKey, kIv)) std::abort();
    for (const auto& r : records) {
      const auto opened = opener.open(r, out);
      if (!opened) std::abort();
      benchmark::DoNotOptimize(opened->size);
      bytes += r.size();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_Open)->Arg(16384)->Arg(1400);

void BM_EvpOnly(benchmark::State& state) {
  const auto records = seal(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(records.front().size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_DecryptInit_ex2(ctx, EVP_aes_128_gcm(), kKey.data(), nullptr, nullptr);
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (int seq = 0; seq < kRecords; ++seq) {
      const auto& r = records[static_cast<std::size_t>(seq)];
      const auto n = nonce(static_cast<std::uint64_t>(seq));
      int len = 0;
      EVP_DecryptInit_ex2(ctx, nullptr, nullptr, n.data(), nullptr);
      EVP_DecryptUpdate(ctx, nullptr, &len, r.data(), 5);
      EVP_DecryptUpdate(ctx, out.data(), &len, r.data() + 5, static_cast<int>(r.size() - 5 - 16));
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<std::uint8_t*>(r.data() + r.size() - 16));
      if (EVP_DecryptFinal_ex(ctx, out.data() + len, &len) != 1) std::abort();
      bytes += r.size();
    }
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_EvpOnly)->Arg(16384)->Arg(1400);

}  // namespace

BENCHMARK_MAIN();

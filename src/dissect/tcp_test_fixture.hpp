// Test fixture: a dissector table with the TCP dissectors, and their counters.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "decode/packet.hpp"
#include "dissect/tcp.hpp"

namespace tattle::dissect {

class TcpDissectorFixture : public ::testing::Test {
 protected:
  TcpDissectorFixture() { add_tcp(table, counters); }
  // The dissector a new TCP flow gets.
  std::unique_ptr<flow::Dissector> choose() {
    flow::FlowContext c;
    c.ip_proto = decode::ip_proto::kTcp;
    return table.choose(c);
  }
  flow::DissectorTable table;
  TcpDissectorCounters counters;
};

}  // namespace tattle::dissect

// The policy: deny and allow lists, exceptions, findings per rule and destination.
#include "detect/policy.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace tattle::detect {
namespace {

std::string policy_file(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("tattle-policy-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

struct World {
  core::Owner mother{.name = "Mother", .jurisdiction = "KY", .headquarters = "CN"};
  core::Owner child{.name = "Child", .parent = &mother, .jurisdiction = "SG"};
  core::Owner edge{.name = "Edge", .jurisdiction = "US"};

  flow::FlowRecord flow(std::uint64_t id, const char* server, const core::Owner* owner, const char* country,
                        std::uint32_t asn, const char* name = "x.example") {
    flow::FlowRecord f;
    f.id = id;
    f.ip_proto = 6;
    f.server = core::Endpoint{core::IpAddress::parse(server), 443};
    f.owner = owner;
    if (country != nullptr) f.place = std::make_shared<const core::Place>(core::Place{asn, "", country, false});
    f.add_name(name, flow::NameSource::kSni);
    f.bytes = {100, 200};
    return f;
  }
};

TEST(Policy, DenyListsBreachPerRuleValueAndDestination) {
  Policy p;
  ASSERT_TRUE(p.load(policy_file(R"(
[deny]
jurisdictions = ["cn"]
countries = ["RU"]
asns = [64500]
owners = ["mother"]
)")).ok());
  World w;
  p.check(w.flow(8, "192.0.2.1", &w.child, "SG", 64496));  // child of a CN-run owner: two rules
  p.check(w.flow(16, "192.0.2.1", &w.child, "SG", 64496));
  p.check(w.flow(24, "192.0.2.2", &w.edge, "RU", 64500));   // hosted in RU, on a denied network
  p.check(w.flow(32, "192.0.2.3", &w.edge, "US", 64496));   // nothing
  p.check(w.flow(40, "192.0.2.4", nullptr, nullptr, 0));     // nothing known: nothing judged
  const auto& f = p.findings();
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].rule, "deny.jurisdictions");
  EXPECT_EQ(f[0].value, "CN");
  EXPECT_EQ(f[0].flows, 2u);
  EXPECT_EQ(f[0].bytes_out, 200u);
  EXPECT_EQ(f[0].flow_ids, (std::vector<std::uint64_t>{8, 16}));
  EXPECT_EQ(f[1].rule, "deny.owners");
  EXPECT_EQ(f[1].value, "Mother");
  EXPECT_EQ(f[2].rule, "deny.countries");
  EXPECT_EQ(f[3].rule, "deny.asns");
  EXPECT_EQ(f[3].value, "64500");
}

TEST(Policy, ExceptionsWinAndCoverFronts) {
  Policy p;
  ASSERT_TRUE(p.load(policy_file(R"(
[deny]
countries = ["CN"]
[except]
owners = ["Edge"]
domains = ["allowed.example"]
)")).ok());
  World w;
  auto fronted = w.flow(8, "192.0.2.1", &w.child, "CN", 1);
  fronted.front = &w.edge;
  p.check(fronted);
  p.check(w.flow(16, "192.0.2.2", &w.child, "CN", 1, "api.Allowed.Example"));
  EXPECT_TRUE(p.findings().empty());
  p.check(w.flow(24, "192.0.2.3", &w.child, "CN", 1, "notallowed.example"));
  EXPECT_EQ(p.findings().size(), 1u);
}

TEST(Policy, AllowListsJudgeOnlyWhatIsKnown) {
  Policy p;
  ASSERT_TRUE(p.load(policy_file("[allow]\ncountries = [\"DE\", \"FR\"]\nowners = [\"Edge\"]\n")).ok());
  World w;
  p.check(w.flow(8, "192.0.2.1", &w.edge, "DE", 1));
  p.check(w.flow(16, "192.0.2.2", nullptr, nullptr, 0));
  EXPECT_TRUE(p.findings().empty());
  p.check(w.flow(24, "192.0.2.3", &w.child, "US", 1));
  ASSERT_EQ(p.findings().size(), 2u);
  EXPECT_EQ(p.findings()[0].rule, "allow.countries");
  EXPECT_EQ(p.findings()[0].value, "US");
  EXPECT_EQ(p.findings()[1].rule, "allow.owners");
  EXPECT_EQ(p.findings()[1].value, "Child");
}

TEST(Policy, RefusesFilesItCannotUse) {
  EXPECT_FALSE(Policy().load(policy_file("[deny]\ncountry = [\"CN\"]\n")).ok());  // misspelt key
  EXPECT_FALSE(Policy().load(policy_file("[deny]\nasns = [\"x\"]\n")).ok());
  EXPECT_FALSE(Policy().load(policy_file("[except]\nowners = [\"X\"]\n")).ok());  // nothing to breach
  EXPECT_FALSE(Policy().load("/nonexistent/policy.toml").ok());
  const auto st = Policy().load(policy_file("[deny]\nowners = \"X\"\n"));
  EXPECT_NE(st.message().find(":2:"), std::string_view::npos) << st.message();
}

}  // namespace
}  // namespace tattle::detect

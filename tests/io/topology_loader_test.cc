#include "io/topology_loader.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace squall::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string error_of(std::string_view text) {
  auto r = parse_topology(text, "topo.yaml");
  EXPECT_FALSE(r.has_value());
  return r ? std::string() : r.error().message;
}

TEST(TopologyLoader, ReadsTheDesignExampleInYaml) {
  auto r = parse_topology(
      "services:\n"
      "  checkout: {depends_on: [orders, payments]}\n"
      "  orders:   {depends_on: [db-orders]}\n"
      "  db-orders: {}\n",
      "topo.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].service, "checkout");
  EXPECT_THAT((*r)[0].depends_on, ElementsAre("orders", "payments"));
  EXPECT_THAT((*r)[1].depends_on, ElementsAre("db-orders"));
  EXPECT_TRUE((*r)[2].depends_on.empty());
}

TEST(TopologyLoader, ReadsJsonAndBlockStyleYaml) {
  auto json = parse_topology(
      R"({"services": {"checkout": {"depends_on": ["orders"]}, "orders": {}}})", "t.json");
  ASSERT_TRUE(json.has_value()) << json.error().message;
  ASSERT_EQ(json->size(), 2u);
  EXPECT_THAT((*json)[0].depends_on, ElementsAre("orders"));

  auto block = parse_topology(
      "services:\n  checkout:\n    depends_on:\n      - orders\n      - payments\n  orders:\n",
      "t.yaml");
  ASSERT_TRUE(block.has_value()) << block.error().message;
  ASSERT_EQ(block->size(), 2u);
  EXPECT_THAT((*block)[0].depends_on, ElementsAre("orders", "payments"));
}

TEST(TopologyLoader, EmptyFileIsAnEmptyTopology) {
  auto r = parse_topology("", "t.yaml");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->empty());
  auto r2 = parse_topology("services: {}\n", "t.yaml");
  ASSERT_TRUE(r2.has_value());
  EXPECT_TRUE(r2->empty());
}

TEST(TopologyLoader, DependsOnThatIsNotAListNamesFileLineAndKey) {
  EXPECT_EQ(error_of("services:\n  orders: {}\n  checkout: {depends_on: orders}\n"),
            "topo.yaml:3: services.checkout.depends_on: expected a list of service names");
  EXPECT_THAT(error_of("services:\n  checkout: {depends_on: [orders, {x: 1}]}\n"),
              HasSubstr("topo.yaml:2: services.checkout.depends_on: expected a list"));
}

TEST(TopologyLoader, UnknownKeysAreErrorsNamingThem) {
  EXPECT_THAT(error_of("services: {}\nedges: []\n"), HasSubstr("topo.yaml:2: edges: unknown key"));
  EXPECT_THAT(error_of("services:\n  checkout: {depends: [orders]}\n"),
              HasSubstr("topo.yaml:2: services.checkout.depends: unknown key"));
}

TEST(TopologyLoader, RejectsWrongShapesAndDuplicates) {
  EXPECT_THAT(error_of("- a\n- b\n"), HasSubstr("expected a mapping with key 'services'"));
  EXPECT_THAT(error_of("services: [a, b]\n"), HasSubstr("services: expected a mapping"));
  EXPECT_THAT(error_of("services:\n  checkout: [orders]\n"),
              HasSubstr("services.checkout: expected a mapping like {depends_on: [a, b]}"));
  EXPECT_THAT(error_of("services:\n  a: {}\n  a: {}\n"),
              HasSubstr("topo.yaml:3: services.a: duplicate service"));
}

TEST(TopologyLoader, SyntaxErrorsCarryTheLine) {
  EXPECT_THAT(error_of("services:\n  checkout: {depends_on: [orders\n"), HasSubstr("topo.yaml:"));
}

TEST(TopologyLoader, LoadsAFileAndBuildsTheGraph) {
  const auto path = std::filesystem::temp_directory_path() / "squall-topology-loader-test.yaml";
  std::ofstream(path)
      << "services:\n  checkout: {depends_on: [orders]}\n  orders: {depends_on: [db]}\n";
  core::Interner interner;
  auto t = load_topology(path.string(), interner, 3);
  std::filesystem::remove(path);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  const core::Sym checkout = interner.find("checkout");
  const core::Sym db = interner.find("db");
  EXPECT_TRUE(t->knows(db));  // mentioned only in depends_on
  EXPECT_EQ(t->downstream_hops(checkout, db), 2);

  auto missing = load_topology("/nonexistent/squall/topology.yaml", interner, 3);
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/squall/topology.yaml: cannot open"));
}

}  // namespace
}  // namespace squall::io

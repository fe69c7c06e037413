#include "engine/bundle/bundler.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/engine/rca/incident_builder.h"

namespace squall::bundle {
namespace {

using testkit::IncidentBuilder;
using testkit::kT0;
constexpr std::int64_t kSec = 1000;

class BundlerTest : public ::testing::Test {
 protected:
  std::string build(const Config& config = {}, std::uint32_t version = 1) {
    std::vector<rca::Hypothesis> hyps;
    ranker_.rank(b_.incident(), b_.members(), topo_, b_.interner(), hyps);
    std::string out;
    build_bundle(b_.incident(), b_.members(), hyps, b_.interner(), config, out, version);
    return out;
  }
  // Parses `json` (which must be valid) into doc_.
  simdjson::dom::element parse(const std::string& json) {
    simdjson::dom::element doc;
    const auto err = parser_.parse(json).get(doc);
    EXPECT_EQ(err, simdjson::SUCCESS) << json;
    return doc;
  }
  static std::vector<std::string> keys(simdjson::dom::element e) {
    std::vector<std::string> out;
    simdjson::dom::object o;
    if (e.get(o)) return out;
    for (auto field : o) out.emplace_back(field.key);
    return out;
  }
  void small_incident() {
    using B = IncidentBuilder;
    b_.add(B::change("c-1", kT0 - 60 * kSec, "orders", "orders@v2.3.1", "deploy orders@v2.3.1"));
    b_.add(B::alert("a-1", kT0, "HighErrorRate", "orders", "n1", "critical", R"(,"pod":"o-1")",
                    "5xx ratio 18%"));
    b_.add(B::alert("a-2", kT0 + 5 * kSec, "HighErrorRate", "orders", "n2", "critical",
                    R"(,"pod":"o-2")"));
    b_.add(B::alert("a-3", kT0 + 20 * kSec, "HighLatency", "checkout", "", "warning"));
    b_.add(B::alert("a-3", kT0 + 80 * kSec, "HighLatency", "checkout", "", "warning"));  // repeat
  }

  IncidentBuilder b_;
  core::Topology topo_;
  rca::RootCauseRanker ranker_;
  simdjson::dom::parser parser_;
};

TEST_F(BundlerTest, WritesEveryContractKeyInAStableOrder) {
  small_incident();
  const std::string json = build();
  auto doc = parse(json);
  const std::vector<std::string> expected = {
      "incident",     "version",      "state",      "opened_at",       "updated_at", "closed_at",
      "alerts_total", "fingerprints", "severity",   "services",        "nodes",      "dimensions",
      "timeline",     "changes",      "root_cause", "hypothesis_note", "exemplars"};
  EXPECT_EQ(keys(doc), expected) << json;
  EXPECT_EQ(std::string_view(doc["incident"].get_string().value()), "inc-0-1");
  EXPECT_EQ(doc["version"].get_uint64().value(), 1u);
  EXPECT_EQ(std::string_view(doc["state"].get_string().value()), "open");
  EXPECT_TRUE(doc["closed_at"].is_null());
  EXPECT_EQ(doc["opened_at"].get_int64().value(), kT0);
  EXPECT_EQ(doc["updated_at"].get_int64().value(), kT0 + 80 * kSec);
  EXPECT_EQ(doc["alerts_total"].get_uint64().value(), 4u);
  EXPECT_EQ(doc["fingerprints"].get_uint64().value(), 3u);
  EXPECT_EQ(std::string_view(doc["severity"].get_string().value()), "critical");
  EXPECT_EQ(doc["services"].get_array().size(), 2u);
  EXPECT_EQ(doc["nodes"].get_array().size(), 2u);
  EXPECT_EQ(doc["dimensions"]["cluster"]["eu-west-1"].get_uint64().value(), 3u);

  auto changes = doc["changes"].get_array().value();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(std::string_view(changes.at(0)["summary"].get_string().value()),
            "deploy orders@v2.3.1");

  auto rc = doc["root_cause"].get_array().value();
  ASSERT_GE(rc.size(), 1u);
  EXPECT_EQ(std::string_view(rc.at(0)["service"].get_string().value()), "orders");
  EXPECT_TRUE(rc.at(0)["node"].is_null());
  const double score = rc.at(0)["score"].get_double().value();
  EXPECT_GT(score, 0.0);
  EXPECT_LE(score, 1.0);
  EXPECT_GE(rc.at(0)["reasons"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(rc.at(0)["evidence"].get_array().at(0).get_string().value()), "c-1");

  auto ex = doc["exemplars"].get_array().value();
  ASSERT_EQ(ex.size(), 2u);  // two templates: (orders, HighErrorRate), (checkout, HighLatency)
  const std::vector<std::string> ex_keys = {"id",     "labels", "annotations", "ts",
                                            "status", "count",  "joined"};
  EXPECT_EQ(keys(ex.at(0)), ex_keys);
  EXPECT_EQ(std::string_view(ex.at(0)["id"].get_string().value()), "a-1");
  EXPECT_EQ(std::string_view(ex.at(0)["labels"]["pod"].get_string().value()), "o-1");
  EXPECT_EQ(std::string_view(ex.at(0)["annotations"]["summary"].get_string().value()),
            "5xx ratio 18%");
  EXPECT_EQ(std::string_view(ex.at(0)["status"].get_string().value()), "firing");
  EXPECT_EQ(std::string_view(ex.at(0)["joined"].get_string().value()), "opened");
  EXPECT_EQ(ex.at(1)["count"].get_uint64().value(), 2u);

  auto tl = doc["timeline"].get_array().value();
  ASSERT_EQ(tl.size(), 2u);
  EXPECT_EQ(std::string_view(tl.at(0)["alertname"].get_string().value()), "HighErrorRate");
  EXPECT_EQ(tl.at(0)["count"].get_uint64().value(), 2u);
  EXPECT_EQ(tl.at(1)["ts"].get_int64().value(), kT0 + 20 * kSec);
}

TEST_F(BundlerTest, ClosedBundleCarriesClosedAt) {
  small_incident();
  b_.incident().open = false;
  b_.incident().closed_at = kT0 + 600 * kSec;
  auto doc = parse(build({}, 4));
  EXPECT_EQ(std::string_view(doc["state"].get_string().value()), "closed");
  EXPECT_EQ(doc["closed_at"].get_int64().value(), kT0 + 600 * kSec);
  EXPECT_EQ(doc["version"].get_uint64().value(), 4u);
}

TEST_F(BundlerTest, DeduplicatesExemplarsAndTimelineByTemplate) {
  using B = IncidentBuilder;
  for (int i = 0; i < 20; ++i)
    b_.add(B::alert("p-" + std::to_string(i), kT0 + i * kSec, "KubePodCrashLooping", "orders",
                    "n" + std::to_string(i % 3), "warning", fmt::format(R"(,"pod":"o-{}")", i)));
  b_.add(B::alert("x-1", kT0 + 30 * kSec, "HighErrorRate", "checkout", "", "critical"));
  auto doc = parse(build());
  auto ex = doc["exemplars"].get_array().value();
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(std::string_view(ex.at(0)["id"].get_string().value()), "p-0");  // the earliest
  auto tl = doc["timeline"].get_array().value();
  ASSERT_EQ(tl.size(), 2u);
  EXPECT_EQ(tl.at(0)["count"].get_uint64().value(), 20u);
}

TEST_F(BundlerTest, MarksFlappingExemplars) {
  small_incident();
  b_.members()[b_.incident().members[0]].flaps = 3;
  auto doc = parse(build());
  auto ex = doc["exemplars"].get_array().value();
  EXPECT_TRUE(ex.at(0)["flapping"].get_bool().value());
  EXPECT_EQ(ex.at(1)["flapping"].error(), simdjson::NO_SUCH_FIELD);
}

TEST_F(BundlerTest, StaysUnderMaxBytesForAHugeIncident) {
  using B = IncidentBuilder;
  const std::string long_text(2000, 'x');  // kept up to the member table's annotation limit
  for (int i = 0; i < 5000; ++i) {
    const std::string svc = "service-with-a-rather-long-name-" + std::to_string(i % 300);
    const std::string extra = fmt::format(
        R"(,"pod":"pod-{}","namespace":"ns-{}","instance":"10.0.{}.{}:8080","zone":"zone-{}")", i,
        i % 80, i % 250, i % 200, i % 7);
    b_.add(B::alert("alert-id-" + std::to_string(i), kT0 + i * 100,
                    "AlertTemplateNumber" + std::to_string(i % 700), svc,
                    "node-" + std::to_string(i % 120), i % 2 ? "warning" : "critical", extra,
                    long_text + R"(\"\\ \n)" + std::to_string(i)));
  }
  for (int i = 0; i < 100; ++i)
    b_.add(B::change("change-" + std::to_string(i), kT0 - i * kSec,
                     "service-with-a-rather-long-name-" + std::to_string(i), "d@v1",
                     std::string(300, 'c')));
  ASSERT_EQ(b_.incident().members.size(), 5000u);
  for (std::size_t max :
       {std::size_t{16 * 1024}, std::size_t{4096}, std::size_t{1024}, kMinBundleBytes}) {
    Config c;
    c.max_bytes = max;
    const std::string json = build(c);
    EXPECT_LE(json.size(), max);
    auto doc = parse(json);
    EXPECT_EQ(std::string_view(doc["incident"].get_string().value()), "inc-0-1");
    EXPECT_EQ(doc["fingerprints"].get_uint64().value(), 5000u);
    if (max == 16 * 1024) {
      // The default budget still carries some of everything.
      EXPECT_GE(doc["exemplars"].get_array().size(), 1u) << json.size();
      EXPECT_GE(doc["timeline"].get_array().size(), 1u);
      EXPECT_GE(doc["root_cause"].get_array().size(), 1u);
      EXPECT_GE(doc["services"].get_array().size(), 1u);
      EXPECT_GT(doc["services_omitted"].get_uint64().value(), 0u);
    }
  }
  // A max_bytes below the floor is raised to it.
  Config tiny;
  tiny.max_bytes = 10;
  EXPECT_LE(build(tiny).size(), kMinBundleBytes);
}

TEST_F(BundlerTest, IsDeterministic) {
  small_incident();
  EXPECT_EQ(build(), build());
}

}  // namespace
}  // namespace squall::bundle

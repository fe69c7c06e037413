#include "tools/eval/inputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace squall::eval {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kTruthHeader = "alert_id\tincident\troot\troot_service\tkind\n";

TEST(ParseTruth, ReadsRowsAndTakesRootEntityFromTheRootRow) {
  const std::string text = std::string(kTruthHeader) +
                           "a1\tf1\t0\tdb-orders\tpool\n"
                           "a2\tf1\t1\tdb-orders\tpool-exhausted\r\n"  // CRLF is fine
                           "a3\tnoise-1\t0\t\tnoise\n"
                           "\n";
  auto t = parse_truth(text, "truth.tsv");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->alert_ids, (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(t->incident, (std::vector<std::string>{"f1", "f1", "noise-1"}));
  EXPECT_EQ(t->line, (std::vector<std::uint32_t>{2, 3, 4}));
  ASSERT_EQ(t->incidents.size(), 2u);
  EXPECT_EQ(t->incidents.at("f1").root_service, "db-orders");
  EXPECT_EQ(t->incidents.at("f1").kind, "pool-exhausted");  // from the root = 1 row
  EXPECT_EQ(t->incidents.at("noise-1").root_service, "");
}

TEST(ParseTruth, FindsColumnsByNameInAnyOrder) {
  auto t =
      parse_truth("kind\troot_service\textra\troot\tincident\talert_id\nk\tnode:n1\tx\t1\tf1\ta1\n",
                  "truth.tsv");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->alert_ids[0], "a1");
  EXPECT_EQ(t->incidents.at("f1").root_service, "node:n1");
}

TEST(ParseTruth, WrongFieldCountNamesFileAndLine) {
  const std::string text = std::string(kTruthHeader) + "a1\tf1\t1\tsvc\tk\na2\tf1\t0\n";
  auto t = parse_truth(text, "storm/truth.tsv");
  ASSERT_FALSE(t);
  EXPECT_THAT(t.error().message, HasSubstr("storm/truth.tsv:3:"));
  EXPECT_THAT(t.error().message, HasSubstr("expected 5 tab-separated fields, got 3"));
}

TEST(ParseTruth, MissingHeaderColumnIsAnError) {
  auto t = parse_truth("alert_id\tincident\troot\tkind\na1\tf1\t1\tk\n", "truth.tsv");
  ASSERT_FALSE(t);
  EXPECT_THAT(t.error().message, HasSubstr("truth.tsv:1: header has no 'root_service' column"));
}

TEST(ParseTruth, DuplicateIdNamesBothLines) {
  const std::string text = std::string(kTruthHeader) + "a1\tf1\t1\ts\tk\na1\tf2\t1\ts\tk\n";
  auto t = parse_truth(text, "truth.tsv");
  ASSERT_FALSE(t);
  EXPECT_THAT(t.error().message,
              HasSubstr("truth.tsv:3: duplicate alert_id 'a1' (first on line 2)"));
}

TEST(ParseTruth, RejectsBadRootAndEmptyFile) {
  auto bad_root = parse_truth(std::string(kTruthHeader) + "a1\tf1\tyes\ts\tk\n", "truth.tsv");
  ASSERT_FALSE(bad_root);
  EXPECT_THAT(bad_root.error().message, HasSubstr("truth.tsv:2: root must be 0 or 1"));
  auto empty = parse_truth("", "truth.tsv");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("empty file"));
}

TEST(ParseAssignments, ReadsIdToIncident) {
  auto a = parse_assignments("alert_id\tincident\na1\tinc-0-1\na2\tinc-0-2", "a.tsv");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->rows, 2u);
  EXPECT_EQ(a->incident_of.at("a2"), "inc-0-2");  // last line without a newline counts
}

TEST(ParseAssignments, MalformedLineNamesFileAndLine) {
  auto a = parse_assignments("alert_id\tincident\na1\tinc-1\na2 inc-2\n", "out/a.tsv");
  ASSERT_FALSE(a);
  EXPECT_THAT(a.error().message, HasSubstr("out/a.tsv:3: expected 2 tab-separated fields, got 1"));
  auto empty_incident = parse_assignments("alert_id\tincident\na1\t\n", "a.tsv");
  ASSERT_FALSE(empty_incident);
  EXPECT_THAT(empty_incident.error().message, HasSubstr("a.tsv:2: empty incident"));
}

TEST(JoinAssignments, MissingAlertIsAnErrorNamingItAndTheCount) {
  auto t =
      parse_truth(std::string(kTruthHeader) + "a1\tf1\t1\ts\tk\na2\tf1\t0\ts\tk\na3\tf1\t0\ts\tk\n",
                  "truth.tsv");
  ASSERT_TRUE(t);
  auto a = parse_assignments("alert_id\tincident\na1\tx\n", "a.tsv");
  ASSERT_TRUE(a);
  auto joined = join_assignments(*t, *a, "a.tsv");
  ASSERT_FALSE(joined);
  EXPECT_THAT(joined.error().message,
              HasSubstr("a.tsv: no line for alert 'a2' (truth.tsv line 3)"));
  EXPECT_THAT(joined.error().message, HasSubstr("2 truth alerts are missing"));
}

TEST(JoinAssignments, FollowsTruthOrder) {
  auto t =
      parse_truth(std::string(kTruthHeader) + "a1\tf1\t1\ts\tk\na2\tf1\t0\ts\tk\n", "truth.tsv");
  auto a = parse_assignments("alert_id\tincident\na2\ty\na1\tx\nzz\tq\n", "a.tsv");
  ASSERT_TRUE(t && a);
  auto joined = join_assignments(*t, *a, "a.tsv");
  ASSERT_TRUE(joined);
  EXPECT_EQ(*joined, (std::vector<std::string>{"x", "y"}));
}

TEST(ParseBundles, LastLinePerIncidentIsFinalAndEveryEmissionTimeIsKept) {
  const std::string text =
      R"({"incident":"inc-1","version":1,"updated_at":100,"root_cause":[{"service":"a","node":null}]})"
      "\n"
      R"({"incident":"inc-2","state":"open","dimensions":{"cluster":{"eu":3}},"timeline":[{"ts":1}],)"
      R"("updated_at":"1970-01-01T00:00:00.250Z","root_cause":[]})"
      "\n\n"
      R"({"version":2,"root_cause":[{"service":null,"node":"n1","score":0.5,"reasons":["x"]},)"
      R"({"service":"b","node":"n2"}],"incident":"inc-1","updated_at":300,"closed_at":null})"
      "\n";
  auto b = parse_bundles(text, "b.ndjson");
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ(b->size(), 2u);
  const BundleHistory& one = b->at("inc-1");
  ASSERT_EQ(one.root_cause.size(), 2u);
  EXPECT_EQ(one.root_cause[0].service, "");
  EXPECT_EQ(one.root_cause[0].node, "n1");
  EXPECT_EQ(one.root_cause[1].service, "b");
  EXPECT_EQ(one.updated_at, (std::vector<std::int64_t>{100, 300}));
  EXPECT_TRUE(b->at("inc-2").root_cause.empty());
  EXPECT_EQ(b->at("inc-2").updated_at, (std::vector<std::int64_t>{250}));
}

TEST(ParseBundles, MalformedLinesNameFileAndLine) {
  const std::string good = R"({"incident":"i","updated_at":1})";
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {R"({"incident":"i",)", "b.ndjson:2: "},
           {R"([1,2])", "b.ndjson:2: not a JSON object"},
           {R"({"updated_at":5})", "b.ndjson:2: no 'incident'"},
           {R"({"incident":"i","root_cause":[{"service":7}]})", "root_cause[].service"},
           {R"({"incident":"i","root_cause":{}})", "'root_cause' is not an array"},
           {R"({"incident":"i","updated_at":"yesterday"})", "'updated_at'"}}) {
    auto b = parse_bundles(good + "\n" + bad + "\n", "b.ndjson");
    ASSERT_FALSE(b) << bad;
    EXPECT_THAT(b.error().message, HasSubstr(why)) << bad;
    EXPECT_THAT(b.error().message, HasSubstr("b.ndjson:2")) << bad;
  }
}

}  // namespace
}  // namespace squall::eval

#include "tools/eval/metrics.h"

#include <gtest/gtest.h>

namespace squall::eval {
namespace {

using Labels = std::vector<std::string>;
constexpr double kEps = 1e-12;

TEST(ClusterScores, SplitAndMergeOfThreeAlerts) {
  // truth {a,a,b}, pred {x,y,y}; cells (a,x)=1 (a,y)=1 (b,y)=1; |a|=2 |b|=1 |x|=1 |y|=2.
  // B³ P = (1/1 + 1/2 + 1/2) / 3 = 2/3;  B³ R = (1/2 + 1/2 + 1/1) / 3 = 2/3.
  // Pairs: same-cell pairs 0, truth pairs C(2,2)=1, pred pairs C(2,2)=1 -> P = R = F1 = 0.
  // ARI: expected = 1*1/C(3,2) = 1/3, max = (1+1)/2 = 1 -> (0 - 1/3) / (1 - 1/3) = -1/2.
  const ClusterScores s = cluster_scores(Labels{"a", "a", "b"}, Labels{"x", "y", "y"});
  EXPECT_NEAR(s.bcubed_precision, 2.0 / 3, kEps);
  EXPECT_NEAR(s.bcubed_recall, 2.0 / 3, kEps);
  EXPECT_NEAR(s.bcubed_f1, 2.0 / 3, kEps);
  EXPECT_EQ(s.pairwise_precision, 0);
  EXPECT_EQ(s.pairwise_recall, 0);
  EXPECT_EQ(s.pairwise_f1, 0);
  EXPECT_NEAR(s.ari, -0.5, kEps);
}

TEST(ClusterScores, SixAlertsAcrossThreeClusters) {
  // truth {a,a,a,b,b,c}, pred {x,x,y,y,y,z}; cells (a,x)=2 (a,y)=1 (b,y)=2 (c,z)=1;
  // |a|=3 |b|=2 |c|=1, |x|=2 |y|=3 |z|=1.
  // B³ P = (2²/2 + 1²/3 + 2²/3 + 1²/1) / 6 = (14/3) / 6 = 7/9.
  // B³ R = (2²/3 + 1²/3 + 2²/2 + 1²/1) / 6 = (14/3) / 6 = 7/9.
  // Pairs: index = C(2,2) + C(2,2) = 2; truth = C(3,2) + C(2,2) = 4; pred = C(2,2) + C(3,2) = 4.
  // P = R = F1 = 2/4. ARI: expected = 4*4/C(6,2) = 16/15, max = 4 -> (2 - 16/15)/(4 - 16/15) =
  // 7/22.
  const ClusterScores s =
      cluster_scores(Labels{"a", "a", "a", "b", "b", "c"}, Labels{"x", "x", "y", "y", "y", "z"});
  EXPECT_NEAR(s.bcubed_precision, 7.0 / 9, kEps);
  EXPECT_NEAR(s.bcubed_recall, 7.0 / 9, kEps);
  EXPECT_NEAR(s.bcubed_f1, 7.0 / 9, kEps);
  EXPECT_NEAR(s.pairwise_precision, 0.5, kEps);
  EXPECT_NEAR(s.pairwise_recall, 0.5, kEps);
  EXPECT_NEAR(s.pairwise_f1, 0.5, kEps);
  EXPECT_NEAR(s.ari, 7.0 / 22, kEps);
}

TEST(ClusterScores, PerfectClusteringScoresOneWhateverTheNames) {
  const ClusterScores s = cluster_scores(Labels{"a", "a", "b", "c", "c", "c"},
                                         Labels{"inc-2", "inc-2", "inc-0", "z", "z", "z"});
  for (double v : {s.bcubed_precision, s.bcubed_recall, s.bcubed_f1, s.pairwise_precision,
                   s.pairwise_recall, s.pairwise_f1, s.ari})
    EXPECT_NEAR(v, 1.0, kEps);
}

TEST(ClusterScores, EverythingInOneClusterHasFullRecallAndZeroAri) {
  // truth {a,a,b,b}, pred all x. B³ P = (2²/4 + 2²/4) / 4 = 1/2, R = (2²/2 + 2²/2) / 4 = 1,
  // F1 = 2*(1/2)*1 / (3/2) = 2/3. Pairs: index = 1 + 1 = 2, truth = 2, pred = C(4,2) = 6:
  // P = 1/3, R = 1, F1 = 2*(1/3) / (4/3) = 1/2. ARI: expected = 2*6/6 = 2, max = (2+6)/2 = 4 -> 0.
  const ClusterScores s = cluster_scores(Labels{"a", "a", "b", "b"}, Labels{"x", "x", "x", "x"});
  EXPECT_NEAR(s.bcubed_precision, 0.5, kEps);
  EXPECT_NEAR(s.bcubed_recall, 1.0, kEps);
  EXPECT_NEAR(s.bcubed_f1, 2.0 / 3, kEps);
  EXPECT_NEAR(s.pairwise_precision, 1.0 / 3, kEps);
  EXPECT_NEAR(s.pairwise_recall, 1.0, kEps);
  EXPECT_NEAR(s.pairwise_f1, 0.5, kEps);
  EXPECT_NEAR(s.ari, 0.0, kEps);
}

TEST(ClusterScores, AllSingletonsHaveFullPrecisionAndNoPairRecall) {
  // truth {a,a,b,b}, pred all distinct. B³ P = 1, R = (1/2 * 4) / 4 = 1/2, F1 = 2/3.
  // Pairs: pred makes no pair -> precision 1 by definition; recall 0/2 = 0; F1 = 0.
  // ARI: expected = 2*0/6 = 0, max = (2+0)/2 = 1 -> (0 - 0)/(1 - 0) = 0.
  const ClusterScores s = cluster_scores(Labels{"a", "a", "b", "b"}, Labels{"w", "x", "y", "z"});
  EXPECT_NEAR(s.bcubed_precision, 1.0, kEps);
  EXPECT_NEAR(s.bcubed_recall, 0.5, kEps);
  EXPECT_NEAR(s.bcubed_f1, 2.0 / 3, kEps);
  EXPECT_EQ(s.pairwise_precision, 1.0);
  EXPECT_EQ(s.pairwise_recall, 0.0);
  EXPECT_EQ(s.pairwise_f1, 0.0);
  EXPECT_NEAR(s.ari, 0.0, kEps);
}

TEST(ClusterScores, IdenticalTrivialPartitionsScoreOne) {
  // ARI's denominator is 0 here (both all singletons / both one cluster): defined as 1.
  for (const auto& [truth, pred] :
       {std::pair{Labels{"a", "b", "c"}, Labels{"x", "y", "z"}},
        std::pair{Labels{"a", "a", "a"}, Labels{"x", "x", "x"}},
        std::pair{Labels{"a"}, Labels{"x"}}, std::pair{Labels{}, Labels{}}}) {
    const ClusterScores s = cluster_scores(truth, pred);
    for (double v : {s.bcubed_precision, s.bcubed_recall, s.bcubed_f1, s.pairwise_precision,
                     s.pairwise_recall, s.pairwise_f1, s.ari})
      EXPECT_EQ(v, 1.0) << truth.size();
  }
}

TEST(HypothesisMatches, ServiceRootMatchesOnlyTheService) {
  EXPECT_TRUE(hypothesis_matches({"db-orders", "", ""}, "db-orders"));
  EXPECT_TRUE(hypothesis_matches({"db-orders", "ip-1", ""}, "db-orders"));
  EXPECT_FALSE(hypothesis_matches({"orders", "db-orders", ""}, "db-orders"));
  EXPECT_FALSE(hypothesis_matches({"", "", ""}, ""));
}

TEST(HypothesisMatches, NodeRootMatchesTheNodeOrALiteralNodeService) {
  EXPECT_TRUE(hypothesis_matches({"", "ip-10-0-3-8", ""}, "node:ip-10-0-3-8"));
  EXPECT_TRUE(hypothesis_matches({"checkout", "ip-10-0-3-8", ""}, "node:ip-10-0-3-8"));
  EXPECT_TRUE(hypothesis_matches({"node:ip-10-0-3-8", "", ""}, "node:ip-10-0-3-8"));
  EXPECT_FALSE(hypothesis_matches({"ip-10-0-3-8", "", ""}, "node:ip-10-0-3-8"));
  EXPECT_FALSE(hypothesis_matches({"", "ip-10-0-3-9", ""}, "node:ip-10-0-3-8"));
  EXPECT_FALSE(hypothesis_matches({"", "", ""}, "node:"));
}

TEST(HypothesisMatches, ZoneRootMatchesOnlyTheZone) {
  EXPECT_TRUE(hypothesis_matches({"", "", "us-east-1b"}, "zone:us-east-1b"));
  EXPECT_FALSE(hypothesis_matches({"", "", "us-east-1a"}, "zone:us-east-1b"));
  EXPECT_FALSE(hypothesis_matches({"us-east-1b", "us-east-1b", ""}, "zone:us-east-1b"));
  EXPECT_FALSE(hypothesis_matches({"", "", ""}, "zone:"));
}

TEST(Percentile, NearestRank) {
  EXPECT_EQ(percentile_nearest_rank({4, 1, 3, 2}, 50), 2);
  EXPECT_EQ(percentile_nearest_rank({2000, 200, 500}, 50), 500);
  EXPECT_EQ(percentile_nearest_rank({7}, 50), 7);
  EXPECT_EQ(percentile_nearest_rank({1, 2, 3}, 100), 3);
}

TEST(NaturalLess, OrdersNumbersByValue) {
  EXPECT_TRUE(natural_less("f2", "f10"));
  EXPECT_FALSE(natural_less("f10", "f2"));
  EXPECT_TRUE(natural_less("inc-0-9", "inc-0-17"));
  EXPECT_TRUE(natural_less("f1", "noise-1"));
  EXPECT_TRUE(natural_less("a", "ab"));
  EXPECT_FALSE(natural_less("f1", "f1"));
}

// Eight alerts: three faults and one noise cluster, five predicted incidents.
//   k  truth    pred  ts
//   0  f1       i1    1000
//   1  f1       i1    2000
//   2  f1       i2    1500
//   3  f2       i3    5000
//   4  f2       i1    6000
//   5  noise-1  i3    3000
//   6  noise-1  i4    3000
//   7  f3       i5    10000
EvalInput sample(bool with_bundles) {
  EvalInput in;
  in.truth = {"f1", "f1", "f1", "f2", "f2", "noise-1", "noise-1", "f3"};
  in.pred = {"i1", "i1", "i2", "i3", "i1", "i3", "i4", "i5"};
  in.ts_ms = {1000, 2000, 1500, 5000, 6000, 3000, 3000, 10000};
  in.incidents = {{"f1", {"db-orders", "pool-exhausted"}},
                  {"f2", {"node:ip-1", "node-down"}},
                  {"f3", {"payments", "bad-deploy"}},
                  {"noise-1", {"", "noise"}}};
  if (with_bundles) {
    std::map<std::string, BundleHistory> b;
    // i1: db-orders 2nd (f1 found @3, not @1); ip-1 only 4th (f2 not found @3).
    b["i1"] = {{{"checkout", "", ""}, {"db-orders", "", ""}, {"orders", "", ""}, {"", "ip-1", ""}},
               {1200, 4000, 7000}};
    b["i5"] = {{{"payments", "ip-7", ""}}, {10500}};
    b["i3"] = {{{"", "ip-1", ""}}, {5100}};  // f2's best incident, but not its main one
    in.bundles = std::move(b);
  }
  return in;
}

TEST(Evaluate, CountsIncidentsAndCompression) {
  const Report r = evaluate(sample(false));
  EXPECT_EQ(r.alerts, 8u);
  EXPECT_EQ(r.truth_incidents, 4u);  // noise-1 counts as a truth cluster
  EXPECT_EQ(r.truth_faults, 3u);
  EXPECT_EQ(r.predicted_incidents, 5u);
  EXPECT_DOUBLE_EQ(r.compression, 8.0 / 5);
  EXPECT_DOUBLE_EQ(r.truth_compression, 8.0 / 4);
}

TEST(Evaluate, CountsMergesOfFaultsButNotOfNoise) {
  // i1 holds f1 (2) and f2 (1): a merge. i3 holds f2 and noise-1: not a merge.
  const Report r = evaluate(sample(false));
  EXPECT_EQ(r.merges, 1u);
  ASSERT_EQ(r.merge_details.size(), 1u);
  EXPECT_EQ(r.merge_details[0].incident, "i1");
  EXPECT_EQ(r.merge_details[0].size, 3u);
  using Held = std::vector<std::pair<std::string, std::size_t>>;
  EXPECT_EQ(r.merge_details[0].faults, (Held{{"f1", 2}, {"f2", 1}}));
}

TEST(Evaluate, CountsFragmentsAndPicksMainIncidentWithSmallestIdOnTies) {
  // f1 -> {i1, i2}, f2 -> {i3, i1}, f3 -> {i5}: (2 + 2 + 1) / 3 fragments per fault.
  const Report r = evaluate(sample(false));
  ASSERT_TRUE(r.fragments_per_fault.has_value());
  EXPECT_DOUBLE_EQ(*r.fragments_per_fault, 5.0 / 3);
  ASSERT_EQ(r.faults.size(), 3u);
  EXPECT_EQ(r.faults[0].id, "f1");
  EXPECT_EQ(r.faults[0].main_incident, "i1");
  EXPECT_EQ(r.faults[0].main_share, 2u);
  EXPECT_EQ(r.faults[0].fragments, 2u);
  EXPECT_EQ(r.faults[0].kind, "pool-exhausted");
  // f2: one alert each in i3 (seen first) and i1; the tie goes to "i1".
  EXPECT_EQ(r.faults[1].main_incident, "i1");
  EXPECT_EQ(r.faults[1].main_share, 1u);
  EXPECT_EQ(r.faults[2].main_incident, "i5");
  EXPECT_EQ(r.faults[2].size, 1u);
}

TEST(Evaluate, RcaAndTimeToFirstBundleAreNullWithoutBundles) {
  const Report r = evaluate(sample(false));
  EXPECT_FALSE(r.rca_ac1.has_value());
  EXPECT_FALSE(r.rca_ac3.has_value());
  EXPECT_FALSE(r.ttfb_p50_ms.has_value());
  EXPECT_FALSE(r.ttfb_max_ms.has_value());
  EXPECT_FALSE(r.faults[0].root_rank.has_value());
}

TEST(Evaluate, RcaLooksOnlyAtTheMainIncidentsFinalHypotheses) {
  // f1: db-orders is 2nd in i1 -> @3 only. f2: main i1 has ip-1 4th -> neither (i3 would have had
  // it 1st, but i3 is not f2's main incident). f3: payments 1st in i5 -> @1 and @3.
  // AC@1 = 1/3, AC@3 = 2/3.
  const Report r = evaluate(sample(true));
  ASSERT_TRUE(r.rca_ac1 && r.rca_ac3);
  EXPECT_DOUBLE_EQ(*r.rca_ac1, 1.0 / 3);
  EXPECT_DOUBLE_EQ(*r.rca_ac3, 2.0 / 3);
  EXPECT_EQ(r.faults[0].root_rank, 2);
  EXPECT_EQ(r.faults[1].root_rank, 4);  // found, but below the top 3
  EXPECT_EQ(r.faults[2].root_rank, 1);
}

TEST(Evaluate, TimeToFirstBundleSkipsEmissionsBeforeTheFaultBegan) {
  // f1 starts at 1000, i1 first emits at 1200 -> 200. f2 starts at 5000: i1's emissions at 1200 and
  // 4000 predate it, the next is 7000 -> 2000. f3 starts at 10000, i5 emits at 10500 -> 500.
  // p50 (nearest rank) of {200, 500, 2000} = 500; max = 2000.
  const Report r = evaluate(sample(true));
  EXPECT_EQ(r.faults[0].ttfb_ms, 200);
  EXPECT_EQ(r.faults[1].ttfb_ms, 2000);
  EXPECT_EQ(r.faults[2].ttfb_ms, 500);
  EXPECT_EQ(r.ttfb_p50_ms, 500);
  EXPECT_EQ(r.ttfb_max_ms, 2000);
  EXPECT_EQ(r.faults_without_bundle, 0u);
}

TEST(Evaluate, FaultWhoseMainIncidentHasNoBundleMissesRca) {
  EvalInput in = sample(true);
  in.bundles->erase("i5");
  const Report r = evaluate(in);
  EXPECT_EQ(r.faults[2].root_rank, 0);
  EXPECT_FALSE(r.faults[2].has_bundle);
  EXPECT_FALSE(r.faults[2].ttfb_ms.has_value());
  EXPECT_EQ(r.faults_without_bundle, 1u);
  EXPECT_DOUBLE_EQ(*r.rca_ac1, 0.0);
  EXPECT_DOUBLE_EQ(*r.rca_ac3, 1.0 / 3);
}

TEST(Evaluate, NoFaultsLeavesFaultFiguresNull) {
  EvalInput in;
  in.truth = {"noise-1", "noise-1", "noise-2"};
  in.pred = {"x", "x", "y"};
  in.bundles = std::map<std::string, BundleHistory>{};
  const Report r = evaluate(in);
  EXPECT_EQ(r.truth_faults, 0u);
  EXPECT_EQ(r.merges, 0u);
  EXPECT_FALSE(r.fragments_per_fault.has_value());
  EXPECT_FALSE(r.rca_ac1.has_value());
  EXPECT_DOUBLE_EQ(r.scores.bcubed_f1, 1.0);
}

TEST(Evaluate, FaultsAreListedInNaturalOrder) {
  EvalInput in;
  in.truth = {"f10", "f2", "f1"};
  in.pred = {"a", "b", "c"};
  const Report r = evaluate(in);
  ASSERT_EQ(r.faults.size(), 3u);
  EXPECT_EQ(r.faults[0].id, "f1");
  EXPECT_EQ(r.faults[1].id, "f2");
  EXPECT_EQ(r.faults[2].id, "f10");
}

}  // namespace
}  // namespace squall::eval

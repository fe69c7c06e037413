// The drafting queue with real `squall draft-worker` processes: a worker killed mid-draft loses
// its bundle to another worker and the draft is stored once; an expired lease redelivers and the
// late answer is not stored twice; newer versions supersede queued ones; the queue is bounded.
#include "tools/serve/draft_pool.h"

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "io/store/store.h"
#include "tests/integration/subprocess.h"

namespace squall::serve {
namespace {

using namespace std::chrono_literals;
using integration::Subprocess;
using integration::TempDir;

template <class F>
bool eventually(F&& f, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

store::BundleRecord bundle(const std::string& id, std::uint64_t version) {
  store::BundleRecord b;
  b.incident = id;
  b.version = version;
  b.state = "open";
  b.json =
      R"({"incident":")" + id + R"(","version":)" + std::to_string(version) +
      R"(,"state":"open","opened_at":0,"updated_at":60000,"closed_at":null,"alerts_total":3,)"
      R"("fingerprints":3,"severity":"critical","services":["db-orders","orders"],"nodes":[],)"
      R"("dimensions":{},"timeline":[{"ts":0,"service":"db-orders","alertname":"DBDown","count":1}],)"
      R"("changes":[],"root_cause":[{"service":"db-orders","node":null,"score":0.8,)"
      R"("reasons":["earliest onset","1 dependents alerting after it"],"evidence":["a-1"]}],)"
      R"("exemplars":[{"id":"a-1","labels":{"alertname":"DBDown","service":"db-orders"},)"
      R"("annotations":{"summary":"db-orders is down"},"ts":0,"status":"firing","count":1}]})";
  return b;
}

class DraftPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("squall-pool-");
    ASSERT_TRUE(d);
    dir_.emplace(std::move(*d));
    store::Options so;
    so.dir = (dir_->path() / "data").string();
    auto s = store::Store::open(so);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void start_pool(std::int64_t lease_ms, std::size_t queue_max = 16) {
    DraftPoolOptions o;
    o.listen = "unix:" + (dir_->path() / "draft.sock").string();
    o.lease_ms = lease_ms;
    o.queue_max = queue_max;
    auto p = DraftPool::start(o, *store_);
    ASSERT_TRUE(p) << p.error().message;
    pool_ = std::move(*p);
  }
  Subprocess worker(int delay_ms, const std::string& name) {
    auto w = Subprocess::start({SQUALL_BINARY, "draft-worker", "--connect", pool_->address(),
                                "--exit-on-disconnect", "--delay-ms", std::to_string(delay_ms)},
                               dir_->path() / (name + ".log"));
    EXPECT_TRUE(w) << w.error().message;
    return std::move(*w);
  }
  void TearDown() override {
    if (pool_) pool_->stop();
  }

  std::optional<TempDir> dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<DraftPool> pool_;
};

TEST_F(DraftPoolTest, AWorkerKilledMidDraftLosesTheBundleToAnotherAndItIsStoredOnce) {
  start_pool(60'000);  // long lease: only the death can move the bundle
  Subprocess slow = worker(30'000, "slow");
  ASSERT_TRUE(eventually([&] { return pool_->stats().workers == 1; }));
  pool_->submit(bundle("inc-0-1", 1));
  ASSERT_TRUE(eventually([&] { return pool_->stats().in_flight == 1; }));
  Subprocess fast = worker(0, "fast");
  ASSERT_TRUE(eventually([&] { return pool_->stats().workers == 2; }));
  EXPECT_EQ(pool_->stats().stored, 0u);  // the fast one has nothing to do yet
  ::kill(slow.pid(), SIGKILL);
  ASSERT_TRUE(eventually([&] { return pool_->stats().stored == 1; }));
  const DraftPoolStats st = pool_->stats();
  EXPECT_EQ(st.delivered, 2u);
  EXPECT_EQ(st.redelivered, 1u);
  EXPECT_EQ(st.in_flight, 0u);
  auto drafts = store_->drafts("inc-0-1");
  ASSERT_TRUE(drafts);
  ASSERT_EQ(drafts->size(), 1u);
  EXPECT_EQ((*drafts)[0].bundle_version, 1u);
  EXPECT_EQ((*drafts)[0].drafter, "evidence");
  EXPECT_NE((*drafts)[0].draft_json.find("\"needs_human_check\":true"), std::string::npos);
  EXPECT_NE((*drafts)[0].draft_json.find("db-orders"), std::string::npos);
  pool_->stop();
  EXPECT_TRUE(fast.wait_for_exit(10s));  // --exit-on-disconnect
}

TEST_F(DraftPoolTest, AnExpiredLeaseRedeliversAndTheLateAnswerIsNotStoredTwice) {
  start_pool(300);
  Subprocess slow = worker(1500, "slow");
  ASSERT_TRUE(eventually([&] { return pool_->stats().workers == 1; }));
  pool_->submit(bundle("inc-0-2", 3));
  ASSERT_TRUE(eventually([&] { return pool_->stats().delivered == 1; }));
  Subprocess fast = worker(0, "fast");
  // The lease runs out; the bundle goes to the fast worker; the slow one answers later.
  ASSERT_TRUE(eventually([&] { return pool_->stats().stored == 1; }));
  ASSERT_TRUE(eventually([&] { return pool_->stats().duplicates >= 1; }));
  auto drafts = store_->drafts("inc-0-2");
  ASSERT_TRUE(drafts);
  EXPECT_EQ(drafts->size(), 1u);
  EXPECT_GE(pool_->stats().redelivered, 1u);
}

TEST_F(DraftPoolTest, ANewerVersionSupersedesTheQueuedOneAndTheQueueIsBounded) {
  start_pool(60'000, 2);  // no workers: everything stays queued
  pool_->submit(bundle("inc-0-1", 1));
  pool_->submit(bundle("inc-0-1", 2));
  DraftPoolStats st = pool_->stats();
  EXPECT_EQ(st.queued, 1u);
  EXPECT_EQ(st.superseded, 1u);
  pool_->submit(bundle("inc-0-1", 1));  // older than what is queued: ignored
  EXPECT_EQ(pool_->stats().queued, 1u);
  pool_->submit(bundle("inc-0-2", 1));
  pool_->submit(bundle("inc-0-3", 1));  // full: the oldest (inc-0-1) goes
  st = pool_->stats();
  EXPECT_EQ(st.queued, 2u);
  EXPECT_EQ(st.dropped, 1u);
  // A worker now drafts what is left: inc-0-2 and inc-0-3, not inc-0-1.
  Subprocess w = worker(0, "w");
  ASSERT_TRUE(eventually([&] { return pool_->stats().stored == 2; }));
  EXPECT_TRUE(store_->drafts("inc-0-1")->empty());
  EXPECT_EQ(store_->drafts("inc-0-3")->size(), 1u);
  EXPECT_TRUE(pool_->wait_idle(1s));
}

TEST_F(DraftPoolTest, ABadAddressIsAnError) {
  DraftPoolOptions o;
  o.listen = "http://nope";
  auto p = DraftPool::start(o, *store_);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("unix:PATH"), std::string::npos);
}

}  // namespace
}  // namespace squall::serve

#include "io/store/store.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/io/store/temp_dir.h"

namespace squall::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::read_lines;
using testing::TempDir;

BundleRecord bundle(const std::string& id, std::uint64_t version, std::int64_t updated_at,
                    const std::string& state = "open", std::size_t pad = 0) {
  BundleRecord r;
  r.incident = id;
  r.version = version;
  r.state = state;
  r.opened_at = 1000;
  r.updated_at = updated_at;
  if (state == "closed") r.closed_at = updated_at;
  r.json = "{\"incident\":\"" + id + "\",\"version\":" + std::to_string(version) + ",\"state\":\"" +
           state + "\",\"opened_at\":1000,\"updated_at\":" + std::to_string(updated_at) +
           ",\"closed_at\":" + (r.closed_at ? std::to_string(*r.closed_at) : std::string("null")) +
           ",\"pad\":\"" + std::string(pad, 'x') + "\"}";
  return r;
}

std::unique_ptr<Store> open_store(const Options& options) {
  auto store = Store::open(options);
  EXPECT_TRUE(store.has_value()) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

// Every bundle put is accounted for once the store is flushed.
void expect_accounted(const Stats& s) {
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.bundles_queued,
            s.bundles_written + s.bundles_stale + s.bundles_superseded + s.bundles_failed);
  EXPECT_EQ(s.bundles_logged, s.bundles_queued);
}

// Holds SQLite's write lock on the store's database from another connection.
class WriteLock {
 public:
  explicit WriteLock(const std::string& db_path) {
    if (sqlite3_open(db_path.c_str(), &db_) == SQLITE_OK) {
      locked_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
  }
  ~WriteLock() {
    release();
    sqlite3_close(db_);
  }
  bool locked() const { return locked_; }
  void release() {
    if (locked_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    locked_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool locked_ = false;
};

TEST(Store, KeepsTheLatestVersionAndNeverLetsAnOlderOneOverwriteIt) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path()});
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-1", 1, 2000)));
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-1", 2, 3000)));
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-1", 3, 4000, "closed")));
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-2", 2, 2500)));
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-2", 1, 2400)));  // late, in the same batch or not
  ASSERT_TRUE(store->flush().has_value());

  auto a = store->incident("inc-0-1");
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->version, 3u);
  EXPECT_EQ((*a)->state, "closed");
  EXPECT_EQ((*a)->closed_at, 4000);
  EXPECT_EQ((*a)->json, bundle("inc-0-1", 3, 4000, "closed").json);
  auto b = store->incident("inc-0-2");
  ASSERT_TRUE(b.has_value() && b->has_value());
  EXPECT_EQ((*b)->version, 2u);
  EXPECT_EQ((*b)->closed_at, std::nullopt);

  // An older version in a later batch is stale.
  std::uint64_t stale = store->stats().bundles_stale;
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-1", 2, 3000)));
  ASSERT_TRUE(store->flush().has_value());
  a = store->incident("inc-0-1");
  ASSERT_TRUE(a.has_value() && a->has_value());
  EXPECT_EQ((*a)->version, 3u);
  EXPECT_EQ(store->stats().bundles_stale, stale + 1);
  expect_accounted(store->stats());

  // The log has every version, in put order.
  auto lines = read_lines(tmp.file("bundles.ndjson"));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], bundle("inc-0-1", 1, 2000).json);
  EXPECT_EQ(lines[2], bundle("inc-0-1", 3, 4000, "closed").json);
  EXPECT_EQ(lines[4], bundle("inc-0-2", 1, 2400).json);
  EXPECT_EQ(lines[5], bundle("inc-0-1", 2, 3000).json);

  auto none = store->incident("inc-9-9");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST(Store, SendsOnlyTheNewestVersionOfABatchToSqliteButLogsThemAll) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path(), .busy_timeout_ms = 60000});
  ASSERT_TRUE(store);
  {
    WriteLock lock(tmp.file("squall.db"));
    ASSERT_TRUE(lock.locked());
    EXPECT_TRUE(store->put_bundle(bundle("inc-blocker", 1, 1)));
    // The writer logs a batch before it waits for the database: once the blocker is logged, the
    // writer is stuck on it and the next puts make up one batch.
    while (store->stats().bundles_logged < 1) std::this_thread::yield();
    EXPECT_TRUE(store->put_bundle(bundle("inc-x", 1, 100)));
    EXPECT_TRUE(store->put_bundle(bundle("inc-x", 3, 300)));
    EXPECT_TRUE(store->put_bundle(bundle("inc-x", 2, 200)));
    EXPECT_TRUE(store->put_bundle(bundle("inc-y", 1, 100)));
  }
  ASSERT_TRUE(store->flush().has_value());
  Stats s = store->stats();
  EXPECT_EQ(s.bundles_superseded, 2u);
  EXPECT_EQ(s.bundles_written, 3u);
  EXPECT_EQ(s.bundles_stale, 0u);
  expect_accounted(s);
  auto x = store->incident("inc-x");
  ASSERT_TRUE(x.has_value() && x->has_value());
  EXPECT_EQ((*x)->version, 3u);
  EXPECT_EQ((*x)->updated_at, 300);
  auto lines = read_lines(tmp.file("bundles.ndjson"));
  EXPECT_THAT(lines, ElementsAre(bundle("inc-blocker", 1, 1).json, bundle("inc-x", 1, 100).json,
                                 bundle("inc-x", 3, 300).json, bundle("inc-x", 2, 200).json,
                                 bundle("inc-y", 1, 100).json));
}

TEST(Store, AClosedIncidentIsStillThereAfterAReopen) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  {
    auto store = open_store({.dir = tmp.path()});
    ASSERT_TRUE(store);
    EXPECT_EQ(store->generation(), 1u);
    EXPECT_TRUE(store->put_bundle(bundle("inc-0-7", 1, 2000)));
    EXPECT_TRUE(store->put_bundle(bundle("inc-0-7", 2, 9000, "closed")));
    EXPECT_TRUE(store->put_bundle(bundle("inc-0-8", 1, 2000)));
    // No flush: the destructor writes what is queued.
  }
  auto store = open_store({.dir = tmp.path()});
  ASSERT_TRUE(store);
  EXPECT_EQ(store->generation(), 2u);
  auto closed = store->incident("inc-0-7");
  ASSERT_TRUE(closed.has_value()) << closed.error().message;
  ASSERT_TRUE(closed->has_value());
  EXPECT_EQ((*closed)->version, 2u);
  EXPECT_EQ((*closed)->state, "closed");
  EXPECT_EQ((*closed)->closed_at, 9000);
  EXPECT_EQ((*closed)->json, bundle("inc-0-7", 2, 9000, "closed").json);
  auto open = store->incident("inc-0-8");
  ASSERT_TRUE(open.has_value() && open->has_value());
  EXPECT_EQ((*open)->state, "open");

  // The log goes on where it was.
  EXPECT_TRUE(store->put_bundle(bundle("inc-0-9", 1, 9500)));
  ASSERT_TRUE(store->flush().has_value());
  auto lines = read_lines(tmp.file("bundles.ndjson"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3], bundle("inc-0-9", 1, 9500).json);
}

TEST(Store, ListsNewestUpdatedFirstWithStateSinceAndLimit) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path()});
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->put_bundle(bundle("inc-a", 1, 5000)));
  EXPECT_TRUE(store->put_bundle(bundle("inc-b", 1, 1000, "closed")));
  EXPECT_TRUE(store->put_bundle(bundle("inc-c", 1, 3000)));
  EXPECT_TRUE(store->put_bundle(bundle("inc-d", 1, 4000, "closed")));
  EXPECT_TRUE(store->put_bundle(bundle("inc-e", 1, 3000, "closed")));
  EXPECT_TRUE(store->put_bundle(bundle("inc-a", 2, 500, "closed")));  // updates move in the order
  ASSERT_TRUE(store->flush().has_value());

  auto ids = [&](const Store::Query& q) {
    std::vector<std::string> out;
    auto r = store->incidents(q);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    if (r) {
      for (const auto& b : *r) out.push_back(b.incident);
    }
    return out;
  };
  EXPECT_THAT(ids({}), ElementsAre("inc-d", "inc-e", "inc-c", "inc-b", "inc-a"));
  EXPECT_THAT(ids({.state = "closed"}), ElementsAre("inc-d", "inc-e", "inc-b", "inc-a"));
  EXPECT_THAT(ids({.state = "open"}), ElementsAre("inc-c"));
  EXPECT_THAT(ids({.limit = 2}), ElementsAre("inc-d", "inc-e"));
  EXPECT_THAT(ids({.state = "closed", .limit = 0, .since_ms = 1000}),
              ElementsAre("inc-d", "inc-e", "inc-b"));
  EXPECT_THAT(ids({.state = "gone"}), ElementsAre());

  auto listed = store->incidents({.limit = 1});
  ASSERT_TRUE(listed.has_value() && listed->size() == 1);
  EXPECT_EQ(listed->front().json, bundle("inc-d", 1, 4000, "closed").json);
}

TEST(Store, RotatesTheBundleLogKeepingMaxFilesOfWholeLines) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path(), .log_max_bytes = 2000, .log_max_files = 2});
  ASSERT_TRUE(store);
  constexpr int kBundles = 200;  // ~130 bytes each: ~15 a file, far more than three files hold
  std::vector<std::string> put;
  for (int i = 0; i < kBundles; ++i) {
    BundleRecord r =
        bundle("inc-0-" + std::to_string(i % 7), static_cast<std::uint64_t>(i + 1), i, "open", 40);
    put.push_back(r.json);
    ASSERT_TRUE(store->put_bundle(std::move(r)));
    if (i % 13 == 0) {
      ASSERT_TRUE(store->flush().has_value());  // batches of different sizes
    }
  }
  ASSERT_TRUE(store->flush().has_value());
  Stats s = store->stats();
  EXPECT_GE(s.log_rotations, 10u);
  EXPECT_EQ(s.write_errors, 0u);
  expect_accounted(s);

  std::string base = tmp.file("bundles.ndjson");
  ASSERT_TRUE(std::filesystem::exists(base));
  ASSERT_TRUE(std::filesystem::exists(base + ".1"));
  ASSERT_TRUE(std::filesystem::exists(base + ".2"));
  EXPECT_FALSE(std::filesystem::exists(base + ".3"));
  std::vector<std::string> kept;
  for (const std::string& file : {base + ".2", base + ".1", base}) {
    EXPECT_LE(std::filesystem::file_size(file), 2000u) << file;
    for (std::string& l : read_lines(file)) {
      ASSERT_FALSE(l.empty()) << file;
      EXPECT_EQ(l.front(), '{') << file;
      EXPECT_EQ(l.back(), '}') << file;
      kept.push_back(std::move(l));
    }
  }
  // The kept files hold the newest lines, none lost between them.
  ASSERT_GE(kept.size(), 20u);
  ASSERT_LT(kept.size(), put.size());
  std::vector<std::string> newest(put.end() - static_cast<std::ptrdiff_t>(kept.size()), put.end());
  EXPECT_EQ(kept, newest);
}

TEST(Store, RefusesAndCountsBundlesOnceMaxPendingIsReached) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path(), .max_pending = 3, .busy_timeout_ms = 60000});
  ASSERT_TRUE(store);
  {
    WriteLock lock(tmp.file("squall.db"));  // the writer waits for it: nothing gets through
    ASSERT_TRUE(lock.locked());
    EXPECT_TRUE(store->put_bundle(bundle("inc-1", 1, 1)));
    EXPECT_TRUE(store->put_bundle(bundle("inc-2", 1, 1)));
    EXPECT_TRUE(store->put_bundle(bundle("inc-3", 1, 1)));
    EXPECT_FALSE(store->put_bundle(bundle("inc-4", 1, 1)));
    EXPECT_FALSE(store->put_bundle(bundle("inc-5", 1, 1)));
    Stats s = store->stats();
    EXPECT_EQ(s.bundles_queued, 3u);
    EXPECT_EQ(s.bundles_dropped, 2u);
    EXPECT_EQ(s.pending, 3u);
  }
  ASSERT_TRUE(store->flush().has_value());
  EXPECT_TRUE(store->put_bundle(bundle("inc-6", 1, 1)));  // room again
  ASSERT_TRUE(store->flush().has_value());
  Stats s = store->stats();
  EXPECT_EQ(s.bundles_written, 4u);
  EXPECT_EQ(s.bundles_dropped, 2u);
  expect_accounted(s);
  auto dropped = store->incident("inc-4");
  ASSERT_TRUE(dropped.has_value());
  EXPECT_FALSE(dropped->has_value());
}

TEST(Store, RefusesBundlesOnceMaxPendingBytesIsReached) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path(), .max_pending_bytes = 1000, .busy_timeout_ms = 60000});
  ASSERT_TRUE(store);
  WriteLock lock(tmp.file("squall.db"));
  ASSERT_TRUE(lock.locked());
  EXPECT_TRUE(store->put_bundle(bundle("inc-1", 1, 1, "open", 1500)));  // alone it may exceed
  EXPECT_FALSE(store->put_bundle(bundle("inc-2", 1, 1, "open", 10)));
  EXPECT_EQ(store->stats().bundles_dropped, 1u);
  lock.release();
  ASSERT_TRUE(store->flush().has_value());
  EXPECT_TRUE(store->put_bundle(bundle("inc-2", 1, 1, "open", 10)));
  ASSERT_TRUE(store->flush().has_value());
  EXPECT_EQ(store->stats().bundles_written, 2u);
}

TEST(Store, RefusesABundleThatWouldBreakTheLog) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path()});
  ASSERT_TRUE(store);
  BundleRecord two_lines = bundle("inc-1", 1, 1);
  two_lines.json += "\n{}";
  EXPECT_FALSE(store->put_bundle(std::move(two_lines)));
  EXPECT_FALSE(store->put_bundle(bundle("", 1, 1)));
  EXPECT_EQ(store->stats().bundles_invalid, 2u);
  EXPECT_EQ(store->stats().bundles_queued, 0u);
}

TEST(Store, CountsAFailedTransactionAndReportsItOnFlush) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path(), .busy_timeout_ms = 0});
  ASSERT_TRUE(store);
  {
    WriteLock lock(tmp.file("squall.db"));
    ASSERT_TRUE(lock.locked());
    EXPECT_TRUE(store->put_bundle(bundle("inc-1", 1, 1)));
    auto r = store->flush();
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().message, HasSubstr(tmp.file("squall.db")));
    EXPECT_THAT(r.error().message, HasSubstr("locked"));
  }
  Stats s = store->stats();
  EXPECT_EQ(s.bundles_failed, 1u);
  EXPECT_EQ(s.write_errors, 3u);    // bounded retries
  EXPECT_EQ(s.bundles_logged, 1u);  // the log does not depend on SQLite
  EXPECT_THAT(store->last_error(), HasSubstr("locked"));
  expect_accounted(s);

  EXPECT_TRUE(store->put_bundle(bundle("inc-2", 1, 1)));
  ASSERT_TRUE(store->flush().has_value());
  auto r = store->incident("inc-2");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->has_value());
}

DraftRecord draft(const std::string& incident, std::uint64_t version, const std::string& drafter,
                  std::int64_t created_at, const std::string& text) {
  DraftRecord d;
  d.incident = incident;
  d.bundle_version = version;
  d.drafter = drafter;
  d.model = "m-1";
  d.draft_json = "{\"summary\":\"" + text + "\"}";
  d.prompt = "prompt for " + incident;
  d.raw_reply = "raw " + text;
  d.latency_ms = 1234;
  d.tokens_in = 900;
  d.tokens_out = 120;
  d.created_at_ms = created_at;
  d.fallback = text == "fallback";
  return d;
}

TEST(Store, StoresADraftOnceAndReturnsTheOneForTheNewestBundle) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path()});
  ASSERT_TRUE(store);
  auto first = store->put_draft(draft("inc-1", 1, "llm", 100, "first"));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(*first);
  auto again = store->put_draft(draft("inc-1", 1, "llm", 200, "redelivered"));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(*again);
  auto all = store->drafts("inc-1");
  ASSERT_TRUE(all.has_value()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().draft_json, "{\"summary\":\"first\"}");

  ASSERT_TRUE(store->put_draft(draft("inc-1", 3, "llm", 300, "third")).value_or(false));
  ASSERT_TRUE(store->put_draft(draft("inc-1", 2, "llm", 400, "second")).value_or(false));
  ASSERT_TRUE(store->put_draft(draft("inc-1", 2, "rules", 350, "fallback")).value_or(false));
  ASSERT_TRUE(store->put_draft(draft("inc-2", 9, "llm", 500, "other")).value_or(false));

  auto latest = store->latest_draft("inc-1");
  ASSERT_TRUE(latest.has_value()) << latest.error().message;
  ASSERT_TRUE(latest->has_value());
  const DraftRecord& d = **latest;
  EXPECT_EQ(d.bundle_version, 3u);
  EXPECT_EQ(d.drafter, "llm");
  EXPECT_EQ(d.model, "m-1");
  EXPECT_EQ(d.draft_json, "{\"summary\":\"third\"}");
  EXPECT_EQ(d.prompt, "prompt for inc-1");
  EXPECT_EQ(d.raw_reply, "raw third");
  EXPECT_EQ(d.latency_ms, 1234);
  EXPECT_EQ(d.tokens_in, 900);
  EXPECT_EQ(d.tokens_out, 120);
  EXPECT_EQ(d.created_at_ms, 300);
  EXPECT_FALSE(d.fallback);

  all = store->drafts("inc-1");
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> order;
  for (const auto& x : *all) order.push_back(std::to_string(x.bundle_version) + x.drafter);
  EXPECT_THAT(order, ElementsAre("3llm", "2llm", "2rules", "1llm"));
  EXPECT_TRUE((*all)[2].fallback);

  auto none = store->latest_draft("inc-404");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(store->put_draft(draft("", 1, "llm", 1, "x")).has_value());
  EXPECT_EQ(store->stats().drafts_written, 5u);
  EXPECT_EQ(store->stats().drafts_duplicate, 1u);
}

TEST(Store, DraftsSurviveAReopen) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  {
    auto store = open_store({.dir = tmp.path()});
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put_draft(draft("inc-1", 4, "llm", 100, "kept")).value_or(false));
  }
  auto store = open_store({.dir = tmp.path()});
  ASSERT_TRUE(store);
  auto latest = store->latest_draft("inc-1");
  ASSERT_TRUE(latest.has_value() && latest->has_value());
  EXPECT_EQ((*latest)->draft_json, "{\"summary\":\"kept\"}");
  auto again = store->put_draft(draft("inc-1", 4, "llm", 200, "kept"));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
}

TEST(Store, WritesEverythingPutFromManyThreadsWhileOthersRead) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto store = open_store({.dir = tmp.path(), .log_max_bytes = 0});
  ASSERT_TRUE(store);
  constexpr int kThreads = 4;
  constexpr int kIncidents = 100;  // per thread
  constexpr int kVersions = 3;
  std::atomic<int> writing{kThreads};
  std::atomic<bool> read_failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int v = 1; v <= kVersions; ++v) {
        for (int i = 0; i < kIncidents; ++i) {
          std::string id = "inc-" + std::to_string(t) + "-" + std::to_string(i);
          if (!store->put_bundle(bundle(id, static_cast<std::uint64_t>(v), v * 1000 + i))) {
            read_failed = true;
          }
        }
      }
      writing.fetch_sub(1);
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      for (int n = 0; n < 20 || writing.load() > 0; ++n) {
        auto list = store->incidents({.limit = 50});
        auto one = store->incident("inc-" + std::to_string(r) + "-7");
        auto d = store->latest_draft("inc-0-0");
        if (!list || !one || !d) read_failed = true;
        if (one && *one && (*one)->version > kVersions) read_failed = true;
        (void)store->stats();
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      if (!store->put_draft(draft("inc-0-0", static_cast<std::uint64_t>(i), "llm", i, "d"))) {
        read_failed = true;
      }
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(store->flush().has_value());
  EXPECT_FALSE(read_failed);

  Stats s = store->stats();
  EXPECT_EQ(s.bundles_queued, kThreads * kIncidents * kVersions);
  EXPECT_EQ(s.bundles_dropped, 0u);
  EXPECT_EQ(s.write_errors, 0u);
  expect_accounted(s);
  auto all = store->incidents({.limit = 0});
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kThreads * kIncidents));
  for (const BundleRecord& b : *all) EXPECT_EQ(b.version, kVersions) << b.incident;
  EXPECT_EQ(read_lines(tmp.file("bundles.ndjson")).size(),
            static_cast<std::size_t>(kThreads * kIncidents * kVersions));
  auto d = store->latest_draft("inc-0-0");
  ASSERT_TRUE(d.has_value() && d->has_value());
  EXPECT_EQ((*d)->bundle_version, 19u);
}

TEST(Store, OpenNamesThePathItCannotUse) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string file = tmp.file("a-file");
  std::ofstream(file) << "not a directory";
  std::string dir = file + "/data";
  auto store = Store::open({.dir = dir});
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error().message, HasSubstr(dir));

  store = Store::open({.dir = file});
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error().message, HasSubstr(file));
}

TEST(Store, RefusesADirectoryAnotherStoreHasOpen) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  auto first = open_store({.dir = tmp.path()});
  ASSERT_TRUE(first);
  auto second = Store::open({.dir = tmp.path()});
  ASSERT_FALSE(second.has_value());
  EXPECT_THAT(second.error().message, HasSubstr("squall.lock"));
  first.reset();
  EXPECT_TRUE(Store::open({.dir = tmp.path()}).has_value());
}

TEST(Store, RefusesADatabaseFromANewerSchema) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  { ASSERT_TRUE(open_store({.dir = tmp.path()})); }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(tmp.file("squall.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = Store::open({.dir = tmp.path()});
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error().message, HasSubstr("schema version 99"));
  EXPECT_THAT(store.error().message, HasSubstr(tmp.file("squall.db")));
}

}  // namespace
}  // namespace squall::store

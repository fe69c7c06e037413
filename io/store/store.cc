#include "io/store/store.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "io/store/bundle_log.h"

namespace squall::store {
namespace {

constexpr int kSchemaVersion = 1;
constexpr std::size_t kLogChunkBytes = 1u << 20;  // log writes per batch are at most this big
constexpr int kTransactionAttempts = 3;
constexpr std::chrono::milliseconds kRetryBackoff{50};
constexpr std::size_t kIdleReaders = 4;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS incidents(
  id TEXT PRIMARY KEY NOT NULL,
  version INTEGER NOT NULL,
  state TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  bundle TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_by_updated ON incidents(updated_at, id);
CREATE INDEX IF NOT EXISTS incidents_by_state ON incidents(state, updated_at, id);
CREATE TABLE IF NOT EXISTS drafts(
  incident TEXT NOT NULL,
  bundle_version INTEGER NOT NULL,
  drafter TEXT NOT NULL,
  model TEXT NOT NULL,
  draft TEXT NOT NULL,
  prompt TEXT NOT NULL,
  raw_reply TEXT NOT NULL,
  latency_ms INTEGER NOT NULL,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  fallback INTEGER NOT NULL,
  PRIMARY KEY (incident, bundle_version, drafter)
);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
)sql";

constexpr const char* kUpsertIncident =
    "INSERT INTO incidents(id, version, state, opened_at, updated_at, closed_at, bundle) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT(id) DO UPDATE SET version = excluded.version, state = excluded.state, "
    "opened_at = excluded.opened_at, updated_at = excluded.updated_at, "
    "closed_at = excluded.closed_at, bundle = excluded.bundle "
    "WHERE excluded.version > incidents.version";

constexpr const char* kInsertDraft =
    "INSERT OR IGNORE INTO drafts(incident, bundle_version, drafter, model, draft, prompt, "
    "raw_reply, latency_ms, tokens_in, tokens_out, created_at, fallback) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

constexpr const char* kIncidentColumns =
    "SELECT id, version, state, opened_at, updated_at, closed_at, bundle FROM incidents ";

constexpr const char* kDraftColumns =
    "SELECT incident, bundle_version, drafter, model, draft, prompt, raw_reply, latency_ms, "
    "tokens_in, tokens_out, created_at, fallback FROM drafts WHERE incident = ?1 "
    "ORDER BY bundle_version DESC, created_at DESC, rowid DESC";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

std::string db_error(const std::string& path, std::string_view what, sqlite3* db) {
  std::string message = "store " + path + ": ";
  message += what;
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return message;
}

core::Result<Db> open_db(const std::string& path, bool read_only, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return core::make_error(db_error(path, "cannot open", raw));
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

core::Result<void> exec(sqlite3* db, const char* sql, const std::string& path) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return core::make_error(db_error(path, sql, db));
  }
  return {};
}

core::Result<Stmt> prepare(sqlite3* db, std::string_view sql, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return core::make_error(db_error(path, "cannot prepare a statement", db));
  return stmt;
}

// Runs a statement that returns one integer (PRAGMA user_version, ...).
core::Result<std::int64_t> query_int(sqlite3* db, const char* sql, const std::string& path) {
  auto stmt = prepare(db, sql, path);
  if (!stmt) return tl::unexpected(std::move(stmt.error()));
  if (sqlite3_step(stmt->get()) != SQLITE_ROW) return core::make_error(db_error(path, sql, db));
  return sqlite3_column_int64(stmt->get(), 0);
}

int bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  // SQLITE_STATIC: every bound string outlives the statement's step.
  return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

BundleRecord read_bundle(sqlite3_stmt* stmt) {
  BundleRecord r;
  r.incident = column_text(stmt, 0);
  r.version = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 1));
  r.state = column_text(stmt, 2);
  r.opened_at = sqlite3_column_int64(stmt, 3);
  r.updated_at = sqlite3_column_int64(stmt, 4);
  if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) r.closed_at = sqlite3_column_int64(stmt, 5);
  r.json = column_text(stmt, 6);
  return r;
}

DraftRecord read_draft(sqlite3_stmt* stmt) {
  DraftRecord d;
  d.incident = column_text(stmt, 0);
  d.bundle_version = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 1));
  d.drafter = column_text(stmt, 2);
  d.model = column_text(stmt, 3);
  d.draft_json = column_text(stmt, 4);
  d.prompt = column_text(stmt, 5);
  d.raw_reply = column_text(stmt, 6);
  d.latency_ms = sqlite3_column_int64(stmt, 7);
  d.tokens_in = sqlite3_column_int64(stmt, 8);
  d.tokens_out = sqlite3_column_int64(stmt, 9);
  d.created_at_ms = sqlite3_column_int64(stmt, 10);
  d.fallback = sqlite3_column_int64(stmt, 11) != 0;
  return d;
}

constexpr std::uint64_t kMaxVersion = static_cast<std::uint64_t>(INT64_MAX);

}  // namespace

struct Store::Impl {
  using Counter = std::atomic<std::uint64_t>;

  Options options;
  std::string db_path;
  std::string lock_path;
  int lock_fd = -1;
  std::uint64_t generation = 0;

  // Owned by the writer thread once it runs.
  Db writer_db;
  Stmt upsert;
  std::unique_ptr<BundleLog> log;
  std::string log_buffer;
  std::unordered_map<std::string_view, std::size_t> newest;  // incident -> index in the batch
  std::vector<std::size_t> chosen;

  // The queue. done_seq counts bundles through the writer, accepted_seq those put.
  mutable std::mutex mu;
  std::condition_variable wake;  // the writer waits for bundles or stopping
  std::condition_variable done;  // flush() waits for done_seq
  std::deque<BundleRecord> queue;
  std::uint64_t accepted_seq = 0;
  std::uint64_t done_seq = 0;
  std::uint64_t pending_bytes = 0;
  bool stopping = false;
  std::string last_error;
  std::thread writer;

  std::mutex draft_mu;
  Db draft_db;
  Stmt insert_draft;

  std::mutex readers_mu;
  std::vector<Db> idle_readers;

  Counter queued{0}, dropped{0}, invalid{0}, logged{0}, written{0}, stale{0}, superseded{0},
      failed{0}, write_errors{0}, rotations{0}, batches{0}, drafts_written{0}, drafts_duplicate{0};

  ~Impl() {
    if (writer.joinable()) {
      {
        std::lock_guard lock(mu);
        stopping = true;
      }
      wake.notify_one();
      writer.join();
    }
    if (lock_fd >= 0) ::close(lock_fd);
  }

  void record_error(std::string message) {
    write_errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu);
    last_error = std::move(message);
  }

  // --- writer thread ---

  void run() {
    std::deque<BundleRecord> batch;
    std::unique_lock lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) break;  // stopping, and drained
      batch.swap(queue);
      lock.unlock();
      std::uint64_t bytes = write_batch(batch);
      std::size_t n = batch.size();
      batch.clear();
      lock.lock();
      done_seq += n;
      pending_bytes -= bytes;
      done.notify_all();
    }
  }

  std::uint64_t write_batch(const std::deque<BundleRecord>& batch) {
    std::uint64_t bytes = 0;
    std::uint64_t lines = 0;
    log_buffer.clear();
    for (const BundleRecord& r : batch) {
      bytes += r.json.size();
      if (!log_buffer.empty() && log_buffer.size() + r.json.size() + 1 > kLogChunkBytes) {
        write_log(lines);
        lines = 0;
      }
      log_buffer.append(r.json);
      log_buffer.push_back('\n');
      ++lines;
    }
    write_log(lines);
    rotations.store(log->rotations(), std::memory_order_relaxed);

    // Only the newest version of each incident in the batch goes to SQLite (later put wins a tie).
    newest.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto [it, inserted] = newest.try_emplace(batch[i].incident, i);
      if (!inserted && batch[i].version >= batch[it->second].version) it->second = i;
    }
    chosen.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (newest.find(batch[i].incident)->second == i) chosen.push_back(i);
    }
    superseded.fetch_add(batch.size() - chosen.size(), std::memory_order_relaxed);

    for (int attempt = 1;; ++attempt) {
      std::uint64_t applied = 0;
      auto r = upsert_all(batch, applied);
      if (r) {
        written.fetch_add(applied, std::memory_order_relaxed);
        stale.fetch_add(chosen.size() - applied, std::memory_order_relaxed);
        batches.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      record_error(std::move(r.error().message));
      if (attempt == kTransactionAttempts) {
        failed.fetch_add(chosen.size(), std::memory_order_relaxed);
        break;
      }
      std::this_thread::sleep_for(kRetryBackoff * attempt);
    }
    return bytes;
  }

  void write_log(std::uint64_t lines) {
    if (log_buffer.empty()) return;
    if (auto r = log->append(log_buffer); r) {
      logged.fetch_add(lines, std::memory_order_relaxed);
    } else {
      record_error(std::move(r.error().message));
    }
    log_buffer.clear();
  }

  core::Result<void> upsert_all(const std::deque<BundleRecord>& batch, std::uint64_t& applied) {
    sqlite3* db = writer_db.get();
    auto r = [&]() -> core::Result<void> {
      if (auto b = exec(db, "BEGIN IMMEDIATE", db_path); !b) return b;
      sqlite3_stmt* s = upsert.get();
      for (std::size_t i : chosen) {
        const BundleRecord& rec = batch[i];
        sqlite3_reset(s);
        bind_text(s, 1, rec.incident);
        sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(rec.version));
        bind_text(s, 3, rec.state);
        sqlite3_bind_int64(s, 4, rec.opened_at);
        sqlite3_bind_int64(s, 5, rec.updated_at);
        if (rec.closed_at) {
          sqlite3_bind_int64(s, 6, *rec.closed_at);
        } else {
          sqlite3_bind_null(s, 6);
        }
        bind_text(s, 7, rec.json);
        if (sqlite3_step(s) != SQLITE_DONE) {
          return core::make_error(db_error(db_path, "cannot store incident " + rec.incident, db));
        }
        applied += static_cast<std::uint64_t>(sqlite3_changes(db));
      }
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
      return exec(db, "COMMIT", db_path);
    }();
    if (!r) {
      sqlite3_reset(upsert.get());
      sqlite3_clear_bindings(upsert.get());
      if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      applied = 0;
    }
    return r;
  }

  // --- readers ---

  core::Result<Db> acquire_reader() {
    {
      std::lock_guard lock(readers_mu);
      if (!idle_readers.empty()) {
        Db db = std::move(idle_readers.back());
        idle_readers.pop_back();
        return db;
      }
    }
    return open_db(db_path, /*read_only=*/true, options.busy_timeout_ms);
  }

  void release_reader(Db db) {
    std::lock_guard lock(readers_mu);
    if (idle_readers.size() < kIdleReaders) idle_readers.push_back(std::move(db));
  }

  // Runs `sql` on a pooled read connection: `bind_params` sets its parameters, `row` takes each
  // row.
  template <class BindParams, class Row>
  core::Result<void> read(std::string_view sql, BindParams&& bind_params, Row&& row) {
    auto db = acquire_reader();
    if (!db) return tl::unexpected(std::move(db.error()));
    auto result = [&]() -> core::Result<void> {
      auto stmt = prepare(db->get(), sql, db_path);
      if (!stmt) return tl::unexpected(std::move(stmt.error()));
      bind_params(stmt->get());
      for (;;) {
        int rc = sqlite3_step(stmt->get());
        if (rc == SQLITE_DONE) return {};
        if (rc != SQLITE_ROW) return core::make_error(db_error(db_path, "read failed", db->get()));
        row(stmt->get());
      }
    }();
    release_reader(std::move(*db));
    return result;
  }

  // --- open ---

  core::Result<void> open_database() {
    auto db = open_db(db_path, /*read_only=*/false, options.busy_timeout_ms);
    if (!db) return tl::unexpected(std::move(db.error()));
    writer_db = std::move(*db);
    sqlite3* w = writer_db.get();
    auto mode = prepare(w, "PRAGMA journal_mode=WAL", db_path);
    if (!mode) return tl::unexpected(std::move(mode.error()));
    if (sqlite3_step(mode->get()) != SQLITE_ROW) {
      return core::make_error(db_error(db_path, "cannot set journal_mode=WAL", w));
    }
    if (column_text(mode->get(), 0) != "wal") {
      return core::make_error("store " + db_path + ": the file system does not support WAL mode");
    }
    mode->reset();
    if (auto r = exec(w, "PRAGMA synchronous=NORMAL", db_path); !r) return r;

    if (auto r = exec(w, "BEGIN IMMEDIATE", db_path); !r) return r;
    auto schema = [&]() -> core::Result<void> {
      auto version = query_int(w, "PRAGMA user_version", db_path);
      if (!version) return tl::unexpected(std::move(version.error()));
      if (*version > kSchemaVersion) {
        return core::make_error("store " + db_path + ": schema version " +
                                std::to_string(*version) + " is newer than this build's (" +
                                std::to_string(kSchemaVersion) + ")");
      }
      if (*version < kSchemaVersion) {
        // Version 0 is an empty (new) database; later versions will migrate from here.
        if (auto r = exec(w, kSchema, db_path); !r) return r;
        std::string set = "PRAGMA user_version=" + std::to_string(kSchemaVersion);
        if (auto r = exec(w, set.c_str(), db_path); !r) return r;
      }
      if (auto r = exec(w,
                        "INSERT INTO meta(key, value) VALUES('generation', 1) "
                        "ON CONFLICT(key) DO UPDATE SET value = value + 1",
                        db_path);
          !r) {
        return r;
      }
      auto gen = query_int(w, "SELECT value FROM meta WHERE key = 'generation'", db_path);
      if (!gen) return tl::unexpected(std::move(gen.error()));
      generation = static_cast<std::uint64_t>(*gen);
      return exec(w, "COMMIT", db_path);
    }();
    if (!schema) {
      sqlite3_exec(w, "ROLLBACK", nullptr, nullptr, nullptr);
      return schema;
    }
    auto up = prepare(w, kUpsertIncident, db_path);
    if (!up) return tl::unexpected(std::move(up.error()));
    upsert = std::move(*up);

    auto d = open_db(db_path, /*read_only=*/false, options.busy_timeout_ms);
    if (!d) return tl::unexpected(std::move(d.error()));
    draft_db = std::move(*d);
    if (auto r = exec(draft_db.get(), "PRAGMA synchronous=NORMAL", db_path); !r) return r;
    auto ins = prepare(draft_db.get(), kInsertDraft, db_path);
    if (!ins) return tl::unexpected(std::move(ins.error()));
    insert_draft = std::move(*ins);
    return {};
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;  // Impl's destructor drains the queue and joins the writer

core::Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  namespace fs = std::filesystem;
  if (options.dir.empty()) return core::make_error("store: no data directory given");
  if (options.max_pending == 0) {
    return core::make_error("store " + options.dir + ": max_pending must be > 0");
  }
  std::error_code ec;
  if (options.read_only) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->db_path = (fs::path(options.dir) / "squall.db").string();
    if (!fs::exists(impl->db_path, ec))
      return core::make_error("store: no incident store at " + impl->db_path);
    auto probe = impl->acquire_reader();
    if (!probe) return tl::unexpected(std::move(probe.error()));
    impl->release_reader(std::move(*probe));
    return std::unique_ptr<Store>(new Store(std::move(impl)));
  }
  fs::create_directories(options.dir, ec);
  if (ec || !fs::is_directory(options.dir, ec)) {
    return core::make_error("store: cannot create data directory " + options.dir + ": " +
                            (ec ? ec.message() : std::string("not a directory")));
  }

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  fs::path dir(options.dir);
  impl->db_path = (dir / "squall.db").string();
  impl->lock_path = (dir / "squall.lock").string();

  impl->lock_fd = ::open(impl->lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) {
    return core::make_error("store: cannot open " + impl->lock_path + ": " + std::strerror(errno));
  }
  if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      return core::make_error("store " + options.dir + ": in use by another store (" +
                              impl->lock_path + " is locked)");
    }
    return core::make_error("store: cannot lock " + impl->lock_path + ": " + std::strerror(err));
  }

  if (auto r = impl->open_database(); !r) return tl::unexpected(std::move(r.error()));

  auto log = BundleLog::open((dir / "bundles.ndjson").string(), options.log_max_bytes,
                             options.log_max_files);
  if (!log) return tl::unexpected(std::move(log.error()));
  impl->log = std::move(*log);

  try {
    impl->writer = std::thread([p = impl.get()] { p->run(); });
  } catch (const std::system_error& e) {
    return core::make_error("store " + options.dir +
                            ": cannot start the writer thread: " + e.what());
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

bool Store::put_bundle(BundleRecord record) {
  Impl& s = *impl_;
  if (s.options.read_only || record.incident.empty() || record.json.empty() ||
      record.version > kMaxVersion || record.json.find('\n') != std::string::npos) {
    s.invalid.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const std::uint64_t bytes = record.json.size();
  bool notify = false;
  {
    std::lock_guard lock(s.mu);
    std::uint64_t pending = s.accepted_seq - s.done_seq;
    if (s.stopping || pending >= s.options.max_pending ||
        (pending > 0 && s.pending_bytes + bytes > s.options.max_pending_bytes)) {
      s.dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    notify = s.queue.empty();  // the writer only waits on an empty queue
    s.queue.push_back(std::move(record));
    ++s.accepted_seq;
    s.pending_bytes += bytes;
    s.queued.fetch_add(1, std::memory_order_relaxed);
  }
  if (notify) s.wake.notify_one();
  return true;
}

core::Result<void> Store::flush() {
  Impl& s = *impl_;
  std::unique_lock lock(s.mu);
  const std::uint64_t errors = s.write_errors.load(std::memory_order_relaxed);
  const std::uint64_t target = s.accepted_seq;
  s.done.wait(lock, [&] { return s.done_seq >= target; });
  if (s.write_errors.load(std::memory_order_relaxed) != errors) {
    return core::make_error(s.last_error);
  }
  return {};
}

core::Result<bool> Store::put_draft(const DraftRecord& d) {
  Impl& s = *impl_;
  if (s.options.read_only) return core::make_error("store " + s.db_path + ": opened read-only");
  if (d.incident.empty() || d.drafter.empty()) {
    return core::make_error("store " + s.db_path + ": a draft needs an incident and a drafter");
  }
  if (d.bundle_version > kMaxVersion) {
    return core::make_error("store " + s.db_path + ": draft bundle_version out of range");
  }
  std::lock_guard lock(s.draft_mu);
  sqlite3* db = s.draft_db.get();
  sqlite3_stmt* st = s.insert_draft.get();
  sqlite3_reset(st);
  bind_text(st, 1, d.incident);
  sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(d.bundle_version));
  bind_text(st, 3, d.drafter);
  bind_text(st, 4, d.model);
  bind_text(st, 5, d.draft_json);
  bind_text(st, 6, d.prompt);
  bind_text(st, 7, d.raw_reply);
  sqlite3_bind_int64(st, 8, d.latency_ms);
  sqlite3_bind_int64(st, 9, d.tokens_in);
  sqlite3_bind_int64(st, 10, d.tokens_out);
  sqlite3_bind_int64(st, 11, d.created_at_ms);
  sqlite3_bind_int(st, 12, d.fallback ? 1 : 0);
  int rc = sqlite3_step(st);
  bool inserted = rc == SQLITE_DONE && sqlite3_changes(db) > 0;
  core::Result<bool> result = inserted;
  if (rc != SQLITE_DONE) {
    result = core::make_error(db_error(s.db_path, "cannot store a draft of " + d.incident, db));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (result) (inserted ? s.drafts_written : s.drafts_duplicate).fetch_add(1);
  return result;
}

core::Result<std::optional<BundleRecord>> Store::incident(std::string_view id) {
  std::optional<BundleRecord> found;
  std::string sql = std::string(kIncidentColumns) + "WHERE id = ?1";
  auto r = impl_->read(
      sql, [&](sqlite3_stmt* st) { bind_text(st, 1, id); },
      [&](sqlite3_stmt* st) { found = read_bundle(st); });
  if (!r) return tl::unexpected(std::move(r.error()));
  return found;
}

core::Result<std::vector<BundleRecord>> Store::incidents(const Query& q) {
  std::vector<BundleRecord> out;
  std::string sql = kIncidentColumns;
  sql += q.state.empty() ? "WHERE updated_at >= ?2 " : "WHERE state = ?1 AND updated_at >= ?2 ";
  sql += "ORDER BY updated_at DESC, id DESC LIMIT ?3";
  auto r = impl_->read(
      sql,
      [&](sqlite3_stmt* st) {
        if (!q.state.empty()) bind_text(st, 1, q.state);
        sqlite3_bind_int64(st, 2, q.since_ms);
        sqlite3_bind_int64(st, 3, q.limit == 0 ? -1 : static_cast<sqlite3_int64>(q.limit));
      },
      [&](sqlite3_stmt* st) { out.push_back(read_bundle(st)); });
  if (!r) return tl::unexpected(std::move(r.error()));
  return out;
}

core::Result<std::optional<DraftRecord>> Store::latest_draft(std::string_view incident) {
  std::optional<DraftRecord> found;
  std::string sql = std::string(kDraftColumns) + " LIMIT 1";
  auto r = impl_->read(
      sql, [&](sqlite3_stmt* st) { bind_text(st, 1, incident); },
      [&](sqlite3_stmt* st) { found = read_draft(st); });
  if (!r) return tl::unexpected(std::move(r.error()));
  return found;
}

core::Result<std::vector<DraftRecord>> Store::drafts(std::string_view incident) {
  std::vector<DraftRecord> out;
  auto r = impl_->read(
      kDraftColumns, [&](sqlite3_stmt* st) { bind_text(st, 1, incident); },
      [&](sqlite3_stmt* st) { out.push_back(read_draft(st)); });
  if (!r) return tl::unexpected(std::move(r.error()));
  return out;
}

Stats Store::stats() const {
  const Impl& s = *impl_;
  Stats st;
  constexpr auto relaxed = std::memory_order_relaxed;
  st.bundles_queued = s.queued.load(relaxed);
  st.bundles_dropped = s.dropped.load(relaxed);
  st.bundles_invalid = s.invalid.load(relaxed);
  st.bundles_logged = s.logged.load(relaxed);
  st.bundles_written = s.written.load(relaxed);
  st.bundles_stale = s.stale.load(relaxed);
  st.bundles_superseded = s.superseded.load(relaxed);
  st.bundles_failed = s.failed.load(relaxed);
  st.write_errors = s.write_errors.load(relaxed);
  st.log_rotations = s.rotations.load(relaxed);
  st.batches = s.batches.load(relaxed);
  st.drafts_written = s.drafts_written.load(relaxed);
  st.drafts_duplicate = s.drafts_duplicate.load(relaxed);
  std::lock_guard lock(s.mu);
  st.pending = s.accepted_seq - s.done_seq;
  return st;
}

std::string Store::last_error() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_error;
}

std::uint64_t Store::generation() const { return impl_->generation; }

const std::string& Store::dir() const { return impl_->options.dir; }

}  // namespace squall::store

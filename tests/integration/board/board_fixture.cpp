// See board_fixture.h.
#include "tests/integration/board/board_fixture.h"

#include <SQLiteCpp/Statement.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "broker/accounts/users.h"
#include "common/bytes.h"
#include "common/codec.h"
#include "common/vocabulary.h"
#include "tests/support/wait.h"

namespace samband::broker::testing {

EventStream::EventStream(httplib::Client client, httplib::Headers headers)
    : reader_([this, c = std::move(client), h = std::move(headers)]() mutable {
        c.Get("/api/events", h, [this](const char* data, size_t size) {
          std::lock_guard<std::mutex> lock(mutex_);
          received_.append(data, size);
          return !done_.load();
        });
      }) {}

EventStream::~EventStream() {
  done_ = true;
  reader_.join();
}

bool EventStream::has(const std::string& what) {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_.find(what) != std::string::npos;
}

bool EventStream::waitFor(const std::string& what, std::chrono::milliseconds limit) {
  return samband::testing::waitUntil([&] { return has(what); }, limit);
}

RawConnection::RawConnection(const std::string& source, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(const std::string& bytes) {
  return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(bytes.size());
}

bool RawConnection::readSome(std::chrono::steady_clock::time_point until) {
  if (fd_ < 0 || closed_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  pollfd p{fd_, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[4096];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;  // closed by the board, or reset
    return false;
  }
  received_.append(buf, static_cast<size_t>(n));
  return true;
}

bool RawConnection::readUntil(const std::string& what, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (received_.find(what) == std::string::npos) {
    if (!readSome(until)) return received_.find(what) != std::string::npos;
  }
  return true;
}

bool RawConnection::readToEnd(std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (readSome(until)) {
  }
  return closed_;
}

std::string RawAnswer::header(const std::string& name) const {
  const std::string key = "\r\n" + name + ": ";
  auto at = head.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return head.substr(at, head.find("\r\n", at) - at);
}

RawAnswer rawRequest(const std::string& source, int port, const std::string& method,
                     const std::string& path, const std::string& extraHeaders,
                     const std::string& body, std::chrono::milliseconds limit) {
  RawAnswer answer;
  RawConnection c(source, port);
  std::string request = method + " " + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n" + extraHeaders;
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  if (!c.send(request)) return answer;
  c.readToEnd(limit);
  const std::string& text = c.received();
  auto end = text.find("\r\n\r\n");
  if (text.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return answer;
  answer.status = std::atoi(text.c_str() + 9);
  answer.head = text.substr(0, end + 2);
  answer.body = text.substr(end + 4);
  return answer;
}

namespace {

// argon2id is slow on purpose; hash the test password once per process.
const std::string& passwordHash() {
  static const std::string hash = [] {
    auto h = hashPassword(kPassword);
    return h ? *h : std::string();
  }();
  return hash;
}

void addUser(Store& store, const std::string& name, const std::string& role) {
  SQLite::Statement q(store.db(),
                      "INSERT INTO users(name, role, password_hash, created_at) VALUES(?,?,?,?)");
  q.bind(1, name);
  q.bind(2, role);
  q.bind(3, passwordHash());
  q.bind(4, kStartMs);
  q.exec();
}

}  // namespace

void BoardFixture::SetUp() {
  common::initSodium();
  dir_ = tmp_.path();
  const std::string path = dir_ + "/samband.db";
  auto store = Store::open(path, Store::Access::readWrite);
  ASSERT_TRUE(store.ok()) << store.error().message;
  store_ = std::move(*store);
  auto& db = store_->db();
  db.exec(
      "INSERT INTO providers(id, name, enrolled_at, last_seen) VALUES ('556677-8899', "
      "'Skolbolaget AB', 0, " +
      std::to_string(kStartMs - 10'000) + "), ('112233-4455', 'Friskolan <Ek> & \"Co\"', 0, NULL)");
  db.exec(
      "INSERT INTO units(code, provider_id, name, district, school_forms) VALUES "
      "('12345678', '556677-8899', 'Ekskolan', 'Kungsholmen', 'grundskola:1;grundskola:2'), "
      "('23456789', '556677-8899', 'Björkskolan', 'Södermalm', 'forskoleklass:0'), "
      "('34567890', '112233-4455', 'Lönnskolan', 'Kungsholmen', 'grundskola:1')");
  addUser(*store_, kViewer, "viewer");
  addUser(*store_, kOperator, "operator");
  identity_ = common::Identity::generate(kProvider);
  city_ = common::Identity::generate("city");

  options_.listen = "127.0.0.1:0";
  options_.host = "127.0.0.1";
  options_.port = 0;
  options_.configPath = dir_ + "/broker.toml";
  options_.databasePath = path;
  options_.threads = 8;
  options_.sessionTtlMs = 3600 * 1000;
  board_ = std::make_unique<Board>(options_, metrics_, clock_, *city_);
  auto started = board_->start();
  ASSERT_TRUE(started.ok()) << started.error().message;
}

void BoardFixture::TearDown() {
  if (board_) board_->stop();
  board_.reset();
  store_.reset();
}

void BoardFixture::restartBoard() {
  board_->stop();
  board_ = std::make_unique<Board>(options_, metrics_, clock_, *city_);
  auto started = board_->start();
  ASSERT_TRUE(started.ok()) << started.error().message;
}

std::pair<std::string, RawAnswer> BoardFixture::loginFrom(const std::string& source,
                                                          const std::string& name,
                                                          const std::string& password) {
  nlohmann::json body{{"name", name}, {"password", password}};
  RawAnswer answer = rawRequest(source, board_->port(), "POST", "/api/login", "", body.dump());
  std::string cookie = answer.header("Set-Cookie");
  return {cookie.substr(0, cookie.find(';')), answer};
}

httplib::Client BoardFixture::client() {
  httplib::Client c("127.0.0.1", board_->port());
  c.set_connection_timeout(5);
  c.set_read_timeout(10);
  return c;
}

LoggedIn BoardFixture::login(const std::string& name, const std::string& password) {
  LoggedIn out;
  nlohmann::json body{{"name", name}, {"password", password}};
  auto res = client().Post("/api/login", body.dump(), "application/json");
  EXPECT_TRUE(res) << "no answer from the board";
  if (!res) return out;
  EXPECT_EQ(res->status, 200) << res->body;
  std::string cookie = res->get_header_value("Set-Cookie");
  out.cookie = cookie.substr(0, cookie.find(';'));
  out.body = nlohmann::json::parse(res->body, nullptr, false);
  if (out.body.is_object() && out.body.contains("csrf_token")) {
    out.csrf = out.body["csrf_token"].get<std::string>();
  }
  return out;
}

std::string BoardFixture::errorOf(const httplib::Result& r, int status) {
  if (!r) {
    ADD_FAILURE() << "no answer from the board";
    return "";
  }
  EXPECT_EQ(r->status, status) << r->body;
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (!body.is_object() || !body["error"].is_string()) {
    ADD_FAILURE() << "not an error answer: " << r->body;
    return "";
  }
  return body["error"].get<std::string>();
}

httplib::Headers BoardFixture::as(const LoggedIn& who, bool withCsrf) {
  httplib::Headers h{{"Cookie", who.cookie}};
  if (withCsrf) h.emplace("X-CSRF-Token", who.csrf);
  return h;
}

void BoardFixture::report(const std::string& unit, const std::string& operational,
                          const std::string& note, const std::string& mode,
                          const std::string& closedUntil) {
  common::Message m;
  m.senderId = kProvider;
  m.keyId = identity_->keyId();
  m.seq = ++seq_;
  m.prevHash = prevHash_;
  m.sentAt = clock_.nowMs();
  ASSERT_TRUE(common::parseMode(mode, &m.mode));
  common::UnitStatusMsg s;
  s.unitCode = unit;
  ASSERT_TRUE(common::parseOperational(operational, &s.operational));
  s.pupilsEnrolled = 200;
  s.pupilsPresent = 150;
  s.staffTotal = 30;
  s.staffAvailable = 22;
  s.electricity = common::Electricity::BACKUP;
  s.backupHours = 18;
  s.heating = common::Supply::OK;
  s.water = common::Supply::OK;
  s.food = common::Supply::DEGRADED;
  s.it = common::Supply::OK;
  s.telephony = common::Supply::DOWN;
  s.note = note;
  s.closedUntil = closedUntil;
  m.payload = s;
  common::SealedFrame f = common::seal(*identity_, m);
  prevHash_ = f.bodyHash;
  auto& db = store_->db();
  SQLite::Statement q(db,
                      "INSERT INTO frames(sender, key_id, seq, kind, mode, sent_at, received_at, "
                      "body_hash, envelope) VALUES(?,?,?,?,?,?,?,?,?)");
  q.bind(1, kProvider);
  q.bind(2, common::toHex(m.keyId));
  q.bind(3, static_cast<int64_t>(m.seq));
  q.bind(4, "unit_status");
  q.bind(5, mode);
  q.bind(6, m.sentAt);
  q.bind(7, m.sentAt);
  q.bind(8, f.bodyHash.data(), static_cast<int>(f.bodyHash.size()));
  q.bind(9, f.envelope.data(), static_cast<int>(f.envelope.size()));
  q.exec();
  int64_t frameId = db.getLastInsertRowid();
  SQLite::Statement u(
      db,
      "INSERT OR REPLACE INTO unit_status(mode, code, provider_id, frame_id, sent_at, "
      "received_at, operational, reason, expected_reopen, pupils_enrolled, pupils_present, "
      "staff_total, staff_available, critical_care, special_support, electricity, backup_hours, "
      "heating, water, food, it, telephony, food_days, note, valid_until, closed_until) "
      "VALUES(?,?,?,?,?,?,?,'',0,200,150,30,22,'unknown','unknown','backup',18,'ok','ok',"
      "'degraded','ok','down',-1,?,0,?)");
  u.bind(1, mode);
  u.bind(2, unit);
  u.bind(3, kProvider);
  u.bind(4, frameId);
  u.bind(5, m.sentAt);
  u.bind(6, m.sentAt);
  u.bind(7, operational);
  u.bind(8, note);
  u.bind(9, closedUntil);
  u.exec();
}

void BoardFixture::capacity(const std::string& unit, const std::string& form, int year,
                            int enrolled, int seatsNow, int seats72h) {
  SQLite::Statement q(store_->db(),
                      "INSERT OR REPLACE INTO capacity(mode, code, form, year, enrolled, "
                      "seats_now, seats_72h, sent_at, frame_id) VALUES('actual',?,?,?,?,?,?,?,0)");
  q.bind(1, unit);
  q.bind(2, form);
  q.bind(3, year);
  q.bind(4, enrolled);
  q.bind(5, seatsNow);
  q.bind(6, seats72h);
  q.bind(7, clock_.nowMs());
  q.exec();
}

}  // namespace samband::broker::testing

// The CLI's last line of defence (tools/vknn/guard.h): every exception becomes a message and
// exit status 1, never std::terminate (exit 134).
#include "guard.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <ios>
#include <new>
#include <stdexcept>
#include <string>

namespace {

// Runs `body` through the guard with stderr captured; returns {status, message}.
std::pair<int, std::string> guarded(const std::function<int()>& body) {
  std::FILE* err = std::tmpfile();
  REQUIRE(err != nullptr);
  const int status = vknn::tools::run_guarded("vknn test", body, err);
  std::rewind(err);
  std::string text;
  for (int ch; (ch = std::fgetc(err)) != EOF;) text += char(ch);
  std::fclose(err);
  return {status, text};
}

}  // namespace

TEST_CASE("cli: the guard passes a command's own status through") {
  CHECK(guarded([] { return 0; }).first == 0);
  CHECK(guarded([] { return 2; }).first == 2);
  CHECK(guarded([] { return 0; }).second.empty());
}

TEST_CASE("cli: the guard turns every exception into a message and status 1") {
  auto [s1, m1] = guarded([]() -> int { throw std::bad_alloc(); });
  CHECK(s1 == 1);
  CHECK(m1.find("vknn test: error: out of memory") != std::string::npos);

  auto [s2, m2] = guarded([]() -> int {
    throw std::filesystem::filesystem_error("cannot open", std::filesystem::path("/some/dir"),
                                            std::make_error_code(std::errc::is_a_directory));
  });
  CHECK(s2 == 1);
  CHECK(m2.find("/some/dir") != std::string::npos);

  auto [s3, m3] = guarded([]() -> int { throw std::ios_base::failure("basic_filebuf::underflow error reading the file"); });
  CHECK(s3 == 1);
  CHECK(m3.find("input/output failure: basic_filebuf::underflow") != std::string::npos);

  auto [s4, m4] = guarded([]() -> int { throw std::runtime_error("boom"); });
  CHECK(s4 == 1);
  CHECK(m4.find("vknn test: internal error: boom") != std::string::npos);

  auto [s5, m5] = guarded([]() -> int { throw 42; });
  CHECK(s5 == 1);
  CHECK(m5.find("unknown exception") != std::string::npos);
}

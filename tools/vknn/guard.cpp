#include "guard.h"

#include <filesystem>
#include <ios>
#include <new>

namespace vknn::tools {

int run_guarded(const std::string& who, const std::function<int()>& body, std::FILE* err) noexcept {
  // Plain stdio below: after std::bad_alloc, formatting into a new string may fail again.
  const char* w = who.c_str();
  try {
    return body();
  } catch (const std::bad_alloc&) {
    std::fprintf(err, "%s: error: out of memory (a size in the input may be far too large)\n", w);
  } catch (const std::filesystem::filesystem_error& e) {  // its what() names the path(s)
    std::fprintf(err, "%s: error: %s\n", w, e.what());
  } catch (const std::ios_base::failure& e) {
    std::fprintf(err, "%s: error: input/output failure: %s\n", w, e.what());
  } catch (const std::exception& e) {
    std::fprintf(err, "%s: internal error: %s\n", w, e.what());
  } catch (...) {
    std::fprintf(err, "%s: internal error: an unknown exception\n", w);
  }
  return 1;
}

}  // namespace vknn::tools

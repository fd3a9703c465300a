/* Compiled into every executable of the sanitizer build only (VKNN_SANITIZE, see
 * CMakeLists.txt and docs/fuzzing.md); never part of a normal build or of an installed library.
 *
 * LeakSanitizer looks for leaks when the process exits and names the library of every frame of
 * a leak's allocation stack; scripts/lsan.supp suppresses leaks by those names (the Vulkan
 * loader, the validation layer, Mesa, LLVM). But the Vulkan loader dlcloses the driver and the
 * layers in vkDestroyInstance (and after each enumeration), so at exit their frames read
 * "<unknown module>": no suppression can match them, and nobody can tell a driver's leak from
 * vknn's. This dlclose, defined in the executable and exported from it, comes first in symbol
 * lookup, so the loader's calls land here: every library stays mapped until the process ends
 * and each leak is reported with the library that made it. vknn's own leaks stay reported. */
int dlclose(void* handle);
int dlclose(void* handle) {
  (void)handle;
  return 0;
}

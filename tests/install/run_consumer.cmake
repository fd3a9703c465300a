# cmake -P script behind the "install: ..." fixture test (tests/install/CMakeLists.txt):
#   1. cmake --install <vknn build> --prefix <fresh prefix>
#   2. check the prefix holds the embedding API only (two headers, the library, the package)
#   3. configure and build consumer/ against it in a fresh build directory.
# Fails (FATAL_ERROR) at the first step that does.
foreach(var VKNN_BUILD_DIR PREFIX CONSUMER_SOURCE CONSUMER_BUILD GENERATOR MAKE_PROGRAM)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install-test: ${what} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE ${PREFIX} ${CONSUMER_BUILD})
run("cmake --install" ${CMAKE_COMMAND} --install ${VKNN_BUILD_DIR} --prefix ${PREFIX})

# Only the embedding API's headers are installed (no engine/graph/model internals; network.hpp
# is the exported facade over the graph builders).
file(GLOB_RECURSE headers RELATIVE ${PREFIX}/include ${PREFIX}/include/*)
list(SORT headers)
if(NOT headers STREQUAL "vknn/network.hpp;vknn/vknn.h;vknn/vknn.hpp")
  message(FATAL_ERROR "install-test: expected include/vknn/network.hpp, vknn.h and vknn.hpp only, found: ${headers}")
endif()
file(GLOB package_dirs ${PREFIX}/lib*/cmake/vknn)
if(NOT package_dirs)
  message(FATAL_ERROR "install-test: no <prefix>/lib*/cmake/vknn")
endif()
foreach(f vknnConfig.cmake vknnConfigVersion.cmake vknnTargets.cmake)
  if(NOT EXISTS ${package_dirs}/${f})
    message(FATAL_ERROR "install-test: ${package_dirs}/${f} is missing")
  endif()
endforeach()
# The export names vknn::vknn and none of the internal static libraries.
file(STRINGS ${package_dirs}/vknnTargets.cmake internal REGEX "vknn_(engine|graph|models|data|shaders|warnings)")
if(internal)
  message(FATAL_ERROR "install-test: vknnTargets.cmake mentions internal libraries: ${internal}")
endif()

set(configure_args -S ${CONSUMER_SOURCE} -B ${CONSUMER_BUILD} -G ${GENERATOR}
  -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_PREFIX_PATH=${PREFIX}
  # Only the fresh prefix may satisfy find_package(vknn), never a registry entry or the system.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
foreach(pair "C_COMPILER;CMAKE_C_COMPILER" "CXX_COMPILER;CMAKE_CXX_COMPILER" "BUILD_TYPE;CMAKE_BUILD_TYPE")
  list(GET pair 0 in)
  list(GET pair 1 out)
  if(DEFINED ${in} AND NOT "${${in}}" STREQUAL "")
    list(APPEND configure_args -D${out}=${${in}})
  endif()
endforeach()
# The sanitizer build (scripts/test-sanitize.sh): the installed libvknn needs the sanitizer
# runtime, which must come first in the program's libraries, so the consumer is built with the
# same -fsanitize; and, like vknn's own executables, it keeps the libraries it loads for
# LeakSanitizer (cmake/keep_libraries_loaded.c, compiled here as one object on its link line).
if(DEFINED SANITIZE AND NOT "${SANITIZE}" STREQUAL "")
  get_filename_component(keep_loaded ${CONSUMER_BUILD}/../keep_libraries_loaded.o ABSOLUTE)
  run("compiling keep_libraries_loaded.c" ${C_COMPILER} -c ${KEEP_LOADED_SOURCE} -o ${keep_loaded})
  list(APPEND configure_args -DCMAKE_C_FLAGS=-fsanitize=${SANITIZE} -DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}
       "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE} ${keep_loaded} -Wl,--export-dynamic-symbol=dlclose")
endif()
run("configuring the consumer project" ${CMAKE_COMMAND} ${configure_args})
run("building the consumer project" ${CMAKE_COMMAND} --build ${CONSUMER_BUILD})
message(STATUS "install-test: consumer built in ${CONSUMER_BUILD} against ${PREFIX}")

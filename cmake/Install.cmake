# Install rules: the embedding API (shared library vknn, its two public headers and a CMake
# package exporting vknn::vknn) and the vknn command-line tool.
#
#   cmake --install build --prefix P
#   # consumer:  find_package(vknn REQUIRED)  target_link_libraries(app PRIVATE vknn::vknn)
#
# Only the embedding API is installed: the engine/graph/data/models static libraries are
# linked into libvknn privately and their headers stay in the source tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(TARGET vknn)
  set(VKNN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/vknn)

  install(TARGETS vknn EXPORT vknnTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/api/include/vknn/vknn.hpp ${PROJECT_SOURCE_DIR}/api/include/vknn/vknn.h
    ${PROJECT_SOURCE_DIR}/api/include/vknn/network.hpp
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vknn)

  install(EXPORT vknnTargets NAMESPACE vknn:: FILE vknnTargets.cmake DESTINATION ${VKNN_INSTALL_CMAKEDIR})
  configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/vknnConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/vknnConfig.cmake
    INSTALL_DESTINATION ${VKNN_INSTALL_CMAKEDIR})
  # Before 1.0 each minor release may break the ABI (the soname is major.minor, see
  # api/CMakeLists.txt), so find_package(vknn 0.1) accepts 0.1.x only; from 1.0 on, any 1.y.
  if(PROJECT_VERSION_MAJOR EQUAL 0)
    set(_vknn_compat SameMinorVersion)
  else()
    set(_vknn_compat SameMajorVersion)
  endif()
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/vknnConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY ${_vknn_compat})
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vknnConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/vknnConfigVersion.cmake
    DESTINATION ${VKNN_INSTALL_CMAKEDIR})
endif()

# The CLI (target vknn_cli, program name vknn). It links the static libraries only.
if(TARGET vknn_cli)
  install(TARGETS vknn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

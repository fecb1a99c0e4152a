# libqiss.so (target qiss_lib): the public C++ API of include/qiss/qiss.h over qiss_core, and the
# CMake package that `find_package(qiss)` finds (imported target qiss::qiss): docs/library.md.
# Only the header's symbols are exported: the facade is compiled with hidden visibility and
# every symbol of the static libraries linked in (qiss_core) is made local, so a program that
# links it sees neither qiss's internals nor the headers of libtorch, FAISS or OpenCV.
# SOVERSION: major.minor while the version is 0.x (a minor release may change the ABI).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(qiss_lib SHARED ${PROJECT_SOURCE_DIR}/src/lib/searcher.cpp)
add_library(qiss::qiss ALIAS qiss_lib)
target_include_directories(qiss_lib PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(qiss_lib INTERFACE cxx_std_17)
target_compile_options(qiss_lib PRIVATE -Wall -Wextra)
target_link_libraries(qiss_lib PRIVATE qiss_core)
target_link_options(qiss_lib PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined)
set_target_properties(qiss_lib PROPERTIES
  OUTPUT_NAME qiss
  EXPORT_NAME qiss
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

install(TARGETS qiss_lib EXPORT qissTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/qiss/qiss.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qiss)
set(QISS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/qiss)
install(EXPORT qissTargets NAMESPACE qiss:: DESTINATION ${QISS_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/qissConfig.cmake.in
  ${CMAKE_BINARY_DIR}/packaging/qissConfig.cmake INSTALL_DESTINATION ${QISS_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/packaging/qissConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/packaging/qissConfig.cmake
              ${CMAKE_BINARY_DIR}/packaging/qissConfigVersion.cmake
        DESTINATION ${QISS_CMAKE_DIR})

# cmake --install: the binary, the man page, the completions, the licenses,
# and (GH_INSTALL_LIBS) libghiblify as a shared and a static library with its
# headers, a pkg-config file and a CMake package (find_package(ghiblify)),
# in the usual GNU directories. CPack makes .deb packages of the same:
# ghiblify (the program) and libghiblify-dev (the library).
include(GNUInstallDirs)

install(TARGETS ghiblify RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bin)
install(FILES ${PROJECT_BINARY_DIR}/doc/ghiblify.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT bin)
install(FILES ${PROJECT_BINARY_DIR}/doc/ghiblify.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME ghiblify COMPONENT bin)
install(FILES ${PROJECT_BINARY_DIR}/doc/_ghiblify DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
        COMPONENT bin)
install(FILES ${PROJECT_BINARY_DIR}/doc/ghiblify.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d
        COMPONENT bin)
# The weights' terms (non-commercial) beside the project's own MIT license.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT bin)
install(FILES ${PROJECT_SOURCE_DIR}/models/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME MODELS.md
        COMPONENT bin)

if(GH_INSTALL_LIBS)
  add_library(ghiblify_shared SHARED $<TARGET_OBJECTS:ghiblify_objs>)
  add_library(ghiblify_static STATIC $<TARGET_OBJECTS:ghiblify_objs>)
  foreach(gh_lib ghiblify_shared ghiblify_static)
    set_target_properties(${gh_lib} PROPERTIES OUTPUT_NAME ghiblify EXPORT_NAME ghiblify)
    target_include_directories(${gh_lib} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                                   $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()
  set_target_properties(ghiblify_shared PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  target_link_libraries(ghiblify_shared PRIVATE PNG::PNG JPEG::JPEG PkgConfig::LIBDEFLATE PkgConfig::OPENBLAS
                        PkgConfig::CJSON Threads::Threads m)
  install(TARGETS ghiblify_shared EXPORT ghiblifyTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev NAMELINK_COMPONENT dev)
  install(TARGETS ghiblify_static ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ghiblify DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
  # pkg-config: relative to the .pc file, so any --prefix (and DESTDIR) works.
  file(RELATIVE_PATH GH_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/ghiblify.pc.in ${PROJECT_BINARY_DIR}/ghiblify.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/ghiblify.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
  include(CMakePackageConfigHelpers)
  install(EXPORT ghiblifyTargets NAMESPACE ghiblify:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ghiblify
          COMPONENT dev)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ghiblifyConfig.cmake.in
                                ${PROJECT_BINARY_DIR}/ghiblifyConfig.cmake
                                INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ghiblify)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/ghiblifyConfigVersion.cmake
                                   COMPATIBILITY SameMajorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/ghiblifyConfig.cmake ${PROJECT_BINARY_DIR}/ghiblifyConfigVersion.cmake
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ghiblify COMPONENT dev)
endif()

set(CPACK_PACKAGE_NAME ghiblify)
set(CPACK_PACKAGE_VENDOR "The ghiblify authors")
set(CPACK_PACKAGE_CONTACT "The ghiblify authors <ghiblify@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
if(GH_INSTALL_LIBS)
  set(CPACK_COMPONENTS_ALL bin dev)
else()
  set(CPACK_COMPONENTS_ALL bin)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_BIN_PACKAGE_NAME ghiblify)
set(CPACK_DEBIAN_BIN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libghiblify-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Depends from the binaries' shared libraries (dpkg-shlibdeps); the -dev
# package also needs the headers of what the static library and the
# pkg-config file name.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libpng-dev, libjpeg-dev, libopenblas-dev | libopenblas0-pthread, libdeflate-dev, libcjson-dev")
include(CPack)

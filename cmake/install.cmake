# `cmake --install` and CPack (.deb): the binary, the SentencePiece plugin next to it under
# lib/qiss/ (src/text/spm_loader.cpp finds it there), the C++ library with its header and CMake
# package (cmake/library.cmake), the default model under share/qiss/
# (default_model_path), the docs, a man page generated from --help by help2man, the systemd unit
# (lib/systemd/system/qiss.service) and its config file (/etc/qiss/qiss.toml for the .deb, a
# conffile; <prefix>/etc/qiss/ otherwise): docs/operations.md.
include(GNUInstallDirs)
install(TARGETS qiss RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS qiss_spm LIBRARY DESTINATION lib/qiss)
install(FILES ${PROJECT_SOURCE_DIR}/models/qiss-default.qiss DESTINATION ${CMAKE_INSTALL_DATADIR}/qiss)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
              ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(CODE "set(QISS_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(QISS_BINARY_DIR \"${CMAKE_BINARY_DIR}\")
set(QISS_BINDIR \"${CMAKE_INSTALL_BINDIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_service.cmake)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(QISS_MAN ${CMAKE_BINARY_DIR}/qiss.1)
  add_custom_command(OUTPUT ${QISS_MAN}
    COMMAND ${HELP2MAN} --no-info --name "multilingual image similarity search"
            --output ${QISS_MAN} $<TARGET_FILE:qiss>
    DEPENDS qiss
    COMMENT "Generating the man page from qiss --help")
  add_custom_target(qiss_man ALL DEPENDS ${QISS_MAN})
  install(FILES ${QISS_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page (scripts/install-deps.sh installs it)")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME qiss)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Multilingual image similarity search engine")
set(CPACK_PACKAGE_CONTACT "qiss developers <qiss@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
# Dependencies from the shared libraries the binary and plugin link (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
# CPack's DEB generator installs with DESTDIR and the package's prefix (/usr): install_service.cmake
# then writes /usr/bin/qiss and /etc/qiss/qiss.toml into the unit (CPACK_SET_DESTDIR must stay off:
# on, the prefix would be /usr/local).
# The config file is a conffile (dpkg keeps a changed one); the maintainer scripts tell systemd.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "/etc/qiss/qiss.toml\n")
# libqiss.so (cmake/library.cmake) is a public shared library: a shlibs file for the packages
# built against it, and the ldconfig trigger (our own postinst/postrm keep CPack from adding it).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm ${PROJECT_SOURCE_DIR}/packaging/deb/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# Run by `cmake --install` and CPack (install(SCRIPT) in install.cmake): installs the systemd unit
# and the default config file with the paths of THIS install's prefix, so that
# `cmake --install --prefix /usr/local` and the .deb (prefix /usr) each name their own binary and
# config file. QISS_SOURCE_DIR, QISS_BINARY_DIR and QISS_BINDIR are set by install.cmake.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(QISS_SYSCONFDIR /etc)  # as GNUInstallDirs: /usr installs keep their config in /etc
else()
  set(QISS_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
endif()
set(QISS_BINARY "${CMAKE_INSTALL_PREFIX}/${QISS_BINDIR}/qiss")
set(QISS_CONFIG_FILE "${QISS_SYSCONFDIR}/qiss/qiss.toml")
configure_file("${QISS_SOURCE_DIR}/packaging/qiss.service.in"
               "${QISS_BINARY_DIR}/packaging/qiss.service" @ONLY)
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES "${QISS_BINARY_DIR}/packaging/qiss.service")
file(INSTALL DESTINATION "${QISS_SYSCONFDIR}/qiss" TYPE FILE
     FILES "${QISS_SOURCE_DIR}/packaging/qiss.toml")

# Debian packages through CPack (scripts/package.sh runs it; docs: packaging/systemd/README.md):
#   cachecluster    the agent and CLI, /etc/cachecluster/cachecluster.ini (a conffile), the
#                   hardened systemd unit (Type=notify), the system user (sysusers.d)
#   libpeerlib0     libpeerlib.so.0, the shared library
#   libpeerlib-dev  headers, libpeerlib.a, the libpeerlib.so link, the CMake package, peerlib.pc
# Build them from a tree configured with -DCMAKE_INSTALL_PREFIX=/usr (multiarch library dir).

if(NOT TARGET peerlib_shared)
  message(STATUS "No Debian packages: they need -DPEERLIB_BUILD_SHARED=ON")
  return()
endif()
include(GNUInstallDirs)
set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
get_target_property(_peerlib_so peerlib_shared SOVERSION)

# ---- what the cachecluster package installs besides the binary ----
install(FILES ${PROJECT_SOURCE_DIR}/cachecluster.ini DESTINATION /etc/cachecluster
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT cachecluster)
install(FILES ${_pkg}/systemd/cachecluster.service DESTINATION lib/systemd/system
        COMPONENT cachecluster)
install(FILES ${_pkg}/systemd/cachecluster.sysusers DESTINATION lib/sysusers.d
        RENAME cachecluster.conf COMPONENT cachecluster)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/config.md
              ${PROJECT_SOURCE_DIR}/docs/deploy-gce.md ${PROJECT_SOURCE_DIR}/docs/http.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT cachecluster OPTIONAL)

# Each package's copyright: LICENSE in Debian's machine-readable format.
file(READ ${PROJECT_SOURCE_DIR}/LICENSE _license)
string(REGEX REPLACE "\n+$" "" _license "${_license}")
string(REPLACE "\n\n" "\n.\n" _license "${_license}")
string(REPLACE "\n" "\n " CACHECLUSTER_LICENSE_TEXT " ${_license}")
configure_file(${_pkg}/copyright.in ${PROJECT_BINARY_DIR}/packaging/copyright @ONLY)
foreach(_comp_pkg cachecluster:cachecluster peerlib_runtime:libpeerlib${_peerlib_so}
                  peerlib:libpeerlib-dev)
  string(REPLACE ":" ";" _pair ${_comp_pkg})
  list(GET _pair 0 _comp)
  list(GET _pair 1 _name)
  install(FILES ${PROJECT_BINARY_DIR}/packaging/copyright
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_name} COMPONENT ${_comp})
endforeach()

# ---- CPack ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cachecluster)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The cachecluster authors")
# The Maintainer field: set CACHECLUSTER_PACKAGE_MAINTAINER="Name <email>" for a release.
set(CACHECLUSTER_PACKAGE_MAINTAINER "The cachecluster authors" CACHE STRING
    "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${CACHECLUSTER_PACKAGE_MAINTAINER}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)  # executables and shared libraries
# ... and the debug information of libpeerlib.a (cmake/cachecluster_strip_static.cmake).
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/cachecluster_strip_static.cmake)
set(CPACK_CACHECLUSTER_STRIP ${CMAKE_STRIP})
set(CPACK_COMPONENTS_ALL cachecluster peerlib_runtime peerlib)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_CACHECLUSTER_PACKAGE_NAME cachecluster)
# libcurl and libcrypto are opened at run time, libcurl when discovery needs HTTP
# (gce/curl_library.cpp), libcrypto when gossip is encrypted or keys are handled
# (agent/crypto_library.cpp), so dpkg-shlibdeps does not see them: declared here (libcurl
# 7.85.0: CURLOPT_PROTOCOLS_STR); shlibdeps' findings are appended.
set(CPACK_DEBIAN_CACHECLUSTER_PACKAGE_DEPENDS "libcurl4 (>= 7.85.0), libssl3 (>= 3.0.0)")
set(CPACK_DEBIAN_CACHECLUSTER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CACHECLUSTER_PACKAGE_CONTROL_EXTRA
    ${_pkg}/deb/conffiles ${_pkg}/deb/postinst ${_pkg}/deb/prerm ${_pkg}/deb/postrm)
set(CPACK_COMPONENT_CACHECLUSTER_DESCRIPTION
    "cluster membership sidecar for cache nodes on Google Compute Engine
The cachecluster agent finds the other VMs of a managed instance group through the
Compute API, tracks them with SWIM gossip (wire-compatible with hashicorp/memberlist
and Serf) and publishes a live peer list on a Unix socket, for groupcache-style peers,
memcached fleets and C++ services that shard keys (peerlib).")

set(CPACK_DEBIAN_PEERLIB_RUNTIME_PACKAGE_NAME libpeerlib${_peerlib_so})
set(CPACK_DEBIAN_PEERLIB_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PEERLIB_RUNTIME_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
set(CPACK_COMPONENT_PEERLIB_RUNTIME_DESCRIPTION
    "live peer lists from the local cachecluster agent (shared library)
peerlib subscribes to the local cachecluster agent's socket and tells an application
which peer owns a key (groupcache-compatible consistent hashing, rendezvous hashing).")

set(CPACK_DEBIAN_PEERLIB_PACKAGE_NAME libpeerlib-dev)
set(CPACK_DEBIAN_PEERLIB_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_PEERLIB_DEPENDS peerlib_runtime)
set(CPACK_COMPONENT_PEERLIB_DESCRIPTION
    "live peer lists from the local cachecluster agent (development files)
Headers, the static library, the CMake package (find_package(peerlib)) and
pkg-config file of peerlib, the C++17 client of the cachecluster agent.")

include(CPack)

# Every dependency comes from a Debian 12 package; scripts/install-deps.sh installs them.
# Each failure names the package to install.

find_package(PkgConfig QUIET)

macro(cachecluster_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "${what} not found: install the Debian package '${package}' "
                        "(or run scripts/install-deps.sh)")
  endif()
endmacro()

find_package(Threads REQUIRED)

find_package(Boost 1.74 QUIET)
cachecluster_require(Boost_FOUND "Boost (Asio, Beast)" "libboost-dev")

find_package(CURL QUIET)
cachecluster_require(CURL_FOUND "libcurl" "libcurl4-openssl-dev")

find_package(nlohmann_json 3 QUIET)
cachecluster_require(nlohmann_json_FOUND "nlohmann/json" "nlohmann-json3-dev")

find_package(spdlog QUIET)
cachecluster_require(spdlog_FOUND "spdlog" "libspdlog-dev")

find_package(CLI11 QUIET)
cachecluster_require(CLI11_FOUND "CLI11" "libcli11-dev")

find_package(OpenSSL QUIET COMPONENTS Crypto)
cachecluster_require(OpenSSL_FOUND "OpenSSL libcrypto" "libssl-dev")

# Mustache templates of [render.NAME] (agent/render_view.cpp): header-only.
find_path(KAINJOW_MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp)
cachecluster_require(KAINJOW_MUSTACHE_INCLUDE_DIR "kainjow/mustache.hpp" "libkainjow-mustache-dev")

# sd_notify for Type=notify units needs no library: agent/notify_socket speaks the protocol.

if(CACHECLUSTER_BUILD_TESTS)
  find_package(doctest QUIET)
  cachecluster_require(doctest_FOUND "doctest" "doctest-dev")
endif()

# Install peerlib from BUILD_DIR into a temporary prefix, then build and run the
# out-of-tree consumer against it, once with find_package and once with pkg-config.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P run_install_test.cmake
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT ${v})
    message(FATAL_ERROR "${v} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# The development files, and the shared library's runtime file (libpeerlib.so.N.M.P) when the
# build has one.
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component peerlib --prefix ${prefix})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component peerlib_runtime --prefix ${prefix})
foreach(f include/peerlib/client.hpp include/peerlib/peer_set.hpp include/peerlib/hash.hpp
          include/peerlib/protocol.hpp include/peerlib/version.hpp)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB_RECURSE pcs ${prefix}/*/peerlib.pc)
file(GLOB_RECURSE configs ${prefix}/*/peerlibConfig.cmake)
if(NOT pcs OR NOT configs)
  message(FATAL_ERROR "peerlib.pc or peerlibConfig.cmake missing under ${prefix}")
endif()

# find_package(peerlib)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "find_package: ${last_output}")
# With both libraries installed, peerlib::peerlib is the shared one, found by its SONAME.
file(GLOB sonames ${prefix}/*/libpeerlib.so.[0-9]*)
find_program(READELF readelf)
if(sonames AND READELF)
  run(${READELF} -d ${WORK_DIR}/build/consumer)
  if(NOT last_output MATCHES "NEEDED[^\n]*libpeerlib\\.so\\.[0-9]+\\]")
    message(FATAL_ERROR "the consumer does not need libpeerlib.so.N:\n${last_output}")
  endif()
endif()

# pkg-config
find_program(PKG_CONFIG pkg-config)
find_program(CXX NAMES c++ g++)
if(PKG_CONFIG AND CXX)
  list(GET pcs 0 pc)
  get_filename_component(pcdir ${pc} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pcdir})
  run(${PKG_CONFIG} --cflags --libs peerlib)
  separate_arguments(flags UNIX_COMMAND "${last_output}")
  run(${CXX} -std=c++17 ${SOURCE_DIR}/tests/install/consumer/main.cpp ${flags} -pthread
      -o ${WORK_DIR}/consumer_pc)
  # -lpeerlib picks libpeerlib.so when both are installed; it is not on the loader's path.
  set(ENV{LD_LIBRARY_PATH} ${pcdir}/..)
  run(${WORK_DIR}/consumer_pc)
  message(STATUS "pkg-config: ${last_output}")
endif()

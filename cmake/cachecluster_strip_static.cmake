# CPack pre-build script: strip the debug information from the static libraries staged for
# the packages (CPACK_STRIP_FILES handles only executables and shared libraries).
file(GLOB_RECURSE _archives "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
foreach(_a IN LISTS _archives)
  execute_process(COMMAND ${CPACK_CACHECLUSTER_STRIP} --strip-debug ${_a} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "strip --strip-debug ${_a} failed (${_rc})")
  endif()
endforeach()

# Compiler settings applied to our own targets only (third-party headers come in
# through imported targets, which CMake marks SYSTEM, so -Werror never trips on them).

set(CACHECLUSTER_WARNINGS -Wall -Wextra -Wpedantic -Wnon-virtual-dtor)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND CACHECLUSTER_WARNINGS -Wshadow=local)  # GCC only; clang has no =local form
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict overlaps inside libstdc++'s std::string at -O2
    # (GCC bug 105651) and false -Wstringop-overflow bounds in vector fills, more so
    # with sanitizers, and false -Wmaybe-uninitialized inside std::regex/std::function under
    # ASan; keep them visible but not fatal there.
    list(APPEND CACHECLUSTER_WARNINGS -Wno-error=restrict -Wno-error=stringop-overflow
         -Wno-error=maybe-uninitialized)
  endif()
endif()
if(CACHECLUSTER_WERROR)
  list(APPEND CACHECLUSTER_WARNINGS -Werror)
endif()

if(CACHECLUSTER_SANITIZE)
  string(REPLACE "," ";" _san_list "${CACHECLUSTER_SANITIZE}")
  foreach(_san IN LISTS _san_list)
    if(NOT _san MATCHES "^(address|undefined|leak|thread)$")
      message(FATAL_ERROR "CACHECLUSTER_SANITIZE: unknown sanitizer '${_san}' (allowed: address, undefined, leak, thread)")
    endif()
  endforeach()
  set(_san_flags -fsanitize=${CACHECLUSTER_SANITIZE} -fno-omit-frame-pointer)
  if(CACHECLUSTER_SANITIZE MATCHES "undefined")
    list(APPEND _san_flags -fno-sanitize-recover=undefined)
  endif()
  # Sanitizers apply to everything we compile, so link and compile flags agree.
  add_compile_options(${_san_flags})
  add_link_options(${_san_flags})
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

# cachecluster_target(<target>): warnings for a target of ours.
function(cachecluster_target tgt)
  target_compile_options(${tgt} PRIVATE ${CACHECLUSTER_WARNINGS})
endfunction()

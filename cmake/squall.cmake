# Shared compile settings for squall's own targets (never applied to third-party code).
if(SQUALL_MARCH STREQUAL "auto")
  set(_march "")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND EXISTS /proc/cpuinfo)
    file(READ /proc/cpuinfo _cpuinfo)
    if(_cpuinfo MATCHES " avx2" AND _cpuinfo MATCHES " bmi2" AND _cpuinfo MATCHES " pclmulqdq"
       AND _cpuinfo MATCHES " abm" AND _cpuinfo MATCHES " fma")
      # x86-64-v3 lacks PCLMUL, which simdjson's haswell kernel needs.
      set(_march "x86-64-v3 -mpclmul")
    endif()
  endif()
elseif(SQUALL_MARCH STREQUAL "none")
  set(_march "")
else()
  set(_march "${SQUALL_MARCH}")
endif()
if(_march)
  message(STATUS "squall: -march=${_march}")
  separate_arguments(_march_flags UNIX_COMMAND "-march=${_march}")
  add_compile_options(${_march_flags})
endif()

add_compile_options(-fno-omit-frame-pointer)
if(SQUALL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(SQUALL_FUZZ)
  # Instrument all of our code for coverage; only the fuzz executables link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(SQUALL_TSAN)
  add_compile_options(-fsanitize=thread)
  add_link_options(-fsanitize=thread)
endif()

set(SQUALL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # clang's -Wconversion includes sign conversions, g++'s (our main compiler) does not in C++:
  # keep the two builds (tsan, fuzz with clang; the rest with g++) to one standard.
  list(APPEND SQUALL_WARNINGS -Wno-sign-conversion)
endif()
if(SQUALL_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12's sanitizer instrumentation makes -Wmaybe-uninitialized fire inside libstdc++ (<regex>).
  list(APPEND SQUALL_WARNINGS -Wno-maybe-uninitialized)
endif()

# squall_module(NAME SOURCES... [DEPS ...] [PRIVATE_DEPS ...]) -> target squall_NAME, alias squall::NAME
function(squall_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(squall_${name} STATIC ${M_SOURCES})
  add_library(squall::${name} ALIAS squall_${name})
  target_include_directories(squall_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(squall_${name} PRIVATE ${SQUALL_WARNINGS})
  target_link_libraries(squall_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()

# jemalloc only in executables, and never under sanitizers.
function(squall_use_jemalloc target)
  if(JEMALLOC_FOUND AND NOT SQUALL_SANITIZE AND NOT SQUALL_TSAN)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
    target_compile_definitions(${target} PRIVATE SQUALL_HAVE_JEMALLOC=1)
  endif()
endfunction()

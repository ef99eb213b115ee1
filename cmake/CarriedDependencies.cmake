# Header-only libraries and GoogleTest, found as installed packages or, on a machine without
# those packages (the GPU hosts, which cannot install any), in a folder carried there:
#   DPTRAIN_CARRIED_DIR/include/{CLI,nlohmann}/...   headers (Debian's libcli11-dev, nlohmann-json3-dev)
#   DPTRAIN_CARRIED_DIR/googletest/                  sources (Debian's libgtest-dev: /usr/src/googletest)
# scripts/gpu-check.sh fills and passes that folder.
set(DPTRAIN_CARRIED_DIR "" CACHE PATH "Folder with carried headers and GoogleTest sources")

function(dptrain_header_only target header)
  if(TARGET ${target})
    return()
  endif()
  if(NOT EXISTS "${DPTRAIN_CARRIED_DIR}/include/${header}")
    message(FATAL_ERROR "${target} not found: install its package (scripts/common.sh lists them) "
                        "or pass -DDPTRAIN_CARRIED_DIR=DIR with DIR/include/${header}")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES
                                             "${DPTRAIN_CARRIED_DIR}/include")
endfunction()

function(dptrain_googletest)
  find_package(GTest QUIET)
  if(GTest_FOUND)
    return()
  endif()
  if(NOT EXISTS "${DPTRAIN_CARRIED_DIR}/googletest/CMakeLists.txt")
    message(FATAL_ERROR "GoogleTest not found: install libgtest-dev or pass "
                        "-DDPTRAIN_CARRIED_DIR=DIR with its sources in DIR/googletest")
  endif()
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory("${DPTRAIN_CARRIED_DIR}/googletest" "${CMAKE_BINARY_DIR}/googletest" EXCLUDE_FROM_ALL)
  if(NOT TARGET GTest::gtest)  # GoogleTest 1.11 and later define these themselves
    add_library(GTest::gtest ALIAS gtest)
    add_library(GTest::gtest_main ALIAS gtest_main)
  endif()
endfunction()

# cmake -DSOURCE_DIR=... -DWORK_DIR=... -P test_torch_cxx_standard.cmake
# dptrain_torch_cxx_standard against ATen/ATen.h headers as LibTorch releases wrote them.
include(${SOURCE_DIR}/cmake/TorchCxxStandard.cmake)

function(expect_standard name first_line expected)
  set(dir ${WORK_DIR}/${name})
  file(REMOVE_RECURSE ${dir})
  if(NOT first_line STREQUAL "")
    file(WRITE ${dir}/ATen/ATen.h "#pragma once\n\n${first_line}\n#error C++ too old\n#endif\n")
  endif()
  # The headers' folder comes after one without ATen, as in LibTorch's TORCH_INCLUDE_DIRS.
  set(TORCH_INCLUDE_DIRS ${WORK_DIR}/no-aten ${dir})
  dptrain_torch_cxx_standard(standard 17)
  if(NOT standard STREQUAL expected)
    message(SEND_ERROR "FAIL: ${name}: C++${standard}, expected C++${expected}")
  else()
    message(STATUS "ok: ${name}: C++${standard}")
  endif()
endfunction()

expect_standard(libtorch-1.13 "#if !defined(_MSC_VER) && __cplusplus < 201402L" 17)
expect_standard(libtorch-2.11 "#if !defined(_MSC_VER) && __cplusplus < 201703L" 17)
expect_standard(libtorch-2.14 "#if !defined(_MSC_VER) && __cplusplus < 202002L" 20)
expect_standard(no-check-in-header "#if 0" 17)
expect_standard(no-header "" 17)

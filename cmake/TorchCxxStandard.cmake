# The C++ standard LibTorch's headers require, as they state it themselves: ATen/ATen.h stops
# with #error when __cplusplus is below it (C++17 up to LibTorch 2.13, C++20 from 2.14 on).
# Every file that includes LibTorch must be compiled with at least that standard, and mixing
# standards across dptrain's files would be asking for trouble, so all of them use it.
#   dptrain_torch_cxx_standard(OUT MINIMUM): OUT = the larger of MINIMUM and LibTorch's need.
function(dptrain_torch_cxx_standard out minimum)
  set(standard ${minimum})
  foreach(dir IN LISTS TORCH_INCLUDE_DIRS)
    if(NOT EXISTS "${dir}/ATen/ATen.h")
      continue()
    endif()
    file(STRINGS "${dir}/ATen/ATen.h" checks REGEX "__cplusplus < 20[0-9][0-9][0-9][0-9]L")
    # 201703L is C++17, 202002L C++20: the two digits after "20" name the standard.
    if(checks MATCHES "__cplusplus < 20([0-9][0-9])")
      if(CMAKE_MATCH_1 GREATER standard)
        set(standard ${CMAKE_MATCH_1})
      endif()
    endif()
    break()
  endforeach()
  set(${out} ${standard} PARENT_SCOPE)
endfunction()

# Proves that the build enforces the layers of DESIGN.md §3: for every pair
# of layers (L, M) it compiles a one-line file `#include "M/<header>"` with
# the include directories L's own target is built with, and requires that
# it compiles exactly when M is L itself or a layer below it. The table
# below is the design, written independently of the CMake that builds the
# include directories, so that a change there which lets a layer see
# upwards fails here. Run by CTest (tests/CMakeLists.txt) as
#   cmake -DCC=... -DSRC=<src dir> -DWORK=<scratch dir> -DSYSTEM_DIRS=a|b
#         -DDIRS_<layer>=a|b ... -P check_layers.cmake
# (lists joined with '|', as CTest's command line splits ';').
cmake_minimum_required(VERSION 3.25)

# What each layer may include: itself and everything below it.
set(SEES_util util)
set(SEES_frame frame util)
set(SEES_engine engine frame util)
set(SEES_model model engine frame util)
set(SEES_media media frame util)
set(SEES_quality quality frame util)
set(SEES_pipeline pipeline engine model media quality frame util)
set(SEES_server server pipeline engine model media quality frame util)
set(SEES_cli cli server pipeline engine model media quality frame util)
set(LAYERS util frame engine model media quality pipeline server cli)

string(REPLACE "|" ";" SYSTEM_DIRS "${SYSTEM_DIRS}")
set(system_flags)
foreach(d ${SYSTEM_DIRS})
  list(APPEND system_flags -I${d})
endforeach()
file(MAKE_DIRECTORY ${WORK})

set(failures 0)
set(probes 0)
foreach(m ${LAYERS})
  # one header of M, the first by name (a layer without headers yet, as
  # quality before its sources land, has nothing to probe)
  file(GLOB headers RELATIVE ${SRC} ${SRC}/${m}/*.h)
  list(SORT headers)
  if(NOT headers)
    message(STATUS "${m}: no headers, not probed")
    continue()
  endif()
  list(GET headers 0 header)
  set(probe ${WORK}/include_${m}.c)
  file(WRITE ${probe} "#include \"${header}\"\nint vsr_layer_probe;\n")
  foreach(l ${LAYERS})
    if(NOT DEFINED DIRS_${l})
      message(SEND_ERROR "no include directories given for layer ${l}")
      math(EXPR failures "${failures} + 1")
      continue()
    endif()
    string(REPLACE "|" ";" dirs "${DIRS_${l}}")
    set(flags)
    foreach(d ${dirs})
      list(APPEND flags -I${d})
    endforeach()
    execute_process(
      COMMAND ${CC} -std=c11 -D_GNU_SOURCE -fsyntax-only ${flags} ${system_flags} ${probe}
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    math(EXPR probes "${probes} + 1")
    if(m IN_LIST SEES_${l})
      if(NOT rc EQUAL 0)
        message(SEND_ERROR "${l} may include ${header} but it does not compile there:\n${out}")
        math(EXPR failures "${failures} + 1")
      endif()
    else()
      # it must fail because the header is not found, not for another reason
      if(rc EQUAL 0)
        message(SEND_ERROR "${l} includes ${header}, a layer above it, and it compiles: "
                           "the build does not enforce the layers")
        math(EXPR failures "${failures} + 1")
      elseif(NOT out MATCHES "${header}: No such file")
        message(SEND_ERROR "${l} including ${header} failed, but not for want of the header:\n${out}")
        math(EXPR failures "${failures} + 1")
      endif()
    endif()
  endforeach()
endforeach()
if(failures)
  message(FATAL_ERROR "${failures} of ${probes} layer probes wrong")
endif()
message(STATUS "layers enforced: ${probes} probes, every upward include refused, every downward one compiles")

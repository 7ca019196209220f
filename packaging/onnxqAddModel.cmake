# onnxq_add_model: compiles an ONNX model to C at build time and adds it as a static library.
#
#   onnxq_add_model(TARGET net MODEL model.onnx
#                   [CALIB dir/ | file.npy ... | input=dir/ ...]
#                   [NAME c_name] [OPTIONS --observer entropy --target scalar ...])
#
# TARGET   the static library target to add (links Threads and libm; include "NAME.h")
# MODEL    the float ONNX model (relative to the current source dir)
# CALIB    calibration samples as `onnxq compile --calib` takes them: directories, .npy/.pb
#          files, NAME=PATH for multi-input models; the build depends on every file in them
# NAME     the C prefix of the emitted API (NAME_run, NAME.h); default TARGET
# OPTIONS  further options of `onnxq compile` (onnxq help compile)
#
# The compile (onnxq-compile-model: the installed `onnxq compile` plus a fixed set of files to
# build) runs again when the model, a calibration file, an option or onnxq itself changes. A
# calibration file added to a directory is seen at the next CMake run (CONFIGURE_DEPENDS).
# Models with custom operators: add the NAME_custom_<TYPE> sources with target_sources().
function(onnxq_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 _oq "" "TARGET;MODEL;NAME" "CALIB;OPTIONS")
  if(_oq_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "onnxq_add_model: unknown arguments: ${_oq_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT _oq_TARGET OR NOT _oq_MODEL)
    message(FATAL_ERROR "onnxq_add_model: TARGET and MODEL are required")
  endif()
  if(NOT _oq_NAME)
    set(_oq_NAME "${_oq_TARGET}")
  endif()
  if(NOT _oq_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "onnxq_add_model: NAME '${_oq_NAME}' is not a C identifier "
                        "(give NAME when TARGET is not one)")
  endif()
  get_filename_component(_model "${_oq_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${_model}")
    message(FATAL_ERROR "onnxq_add_model: ${_model}: no such model")
  endif()

  # --calib argument (absolute paths) and the files the compile reads
  set(_calib_args "")
  set(_deps "${_model}")
  foreach(_c IN LISTS _oq_CALIB)
    set(_prefix "")
    set(_path "${_c}")
    if(_c MATCHES "^([^=/]+)=(.*)$")
      set(_prefix "${CMAKE_MATCH_1}=")
      set(_path "${CMAKE_MATCH_2}")
    endif()
    get_filename_component(_path "${_path}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(IS_DIRECTORY "${_path}")
      file(GLOB_RECURSE _files CONFIGURE_DEPENDS "${_path}/*")
      list(APPEND _deps ${_files})
    elseif(EXISTS "${_path}")
      list(APPEND _deps "${_path}")
    else()
      message(FATAL_ERROR "onnxq_add_model: calibration data ${_path} does not exist")
    endif()
    list(APPEND _calib_args "${_prefix}${_path}")
  endforeach()
  set(_args "")
  if(_calib_args)
    list(JOIN _calib_args "," _calib_joined)
    set(_args --calib "${_calib_joined}")
  endif()
  list(APPEND _args ${_oq_OPTIONS})

  set(_out "${CMAKE_CURRENT_BINARY_DIR}/onnxq_${_oq_TARGET}")
  set(_outputs "${_out}/${_oq_NAME}.h" "${_out}/${_oq_NAME}.c" "${_out}/${_oq_NAME}_weights.c")
  foreach(_f IN LISTS ONNXQ_RUNTIME_SOURCES)
    string(REPLACE "/" "_" _flat "${_f}")
    list(APPEND _outputs "${_out}/${_oq_NAME}_rt_${_flat}")
  endforeach()

  add_custom_command(OUTPUT ${_outputs}
    COMMAND "${ONNXQ_COMPILE_MODEL}" "${ONNXQ_EXECUTABLE}" "${_out}" "${_oq_NAME}" "${_model}"
            ${_args}
    DEPENDS ${_deps} "${ONNXQ_EXECUTABLE}" "${ONNXQ_COMPILE_MODEL}"
    COMMENT "onnxq: compiling ${_oq_MODEL} to C (${_oq_NAME})"
    VERBATIM)
  add_library(${_oq_TARGET} STATIC ${_outputs})
  target_include_directories(${_oq_TARGET} PUBLIC "${_out}")
  find_package(Threads REQUIRED)
  target_link_libraries(${_oq_TARGET} PUBLIC Threads::Threads)
  if(UNIX)
    target_link_libraries(${_oq_TARGET} PUBLIC m)
  endif()
endfunction()

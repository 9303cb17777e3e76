{
  # Built by scripts/build-blas.mjs (node-gyp; see that file). openblas_linkdir: the directory
  # holding libopenblas.so to link against; openblas_rundir: the directory whose libopenblas.so.0
  # the addon loads at run time (recorded as its run path; LD_LIBRARY_PATH still overrides it),
  # empty for the loader's default.
  "variables": {
    "openblas_linkdir%": "",
    "openblas_rundir%": ""
  },
  "targets": [
    {
      "target_name": "d2l_blas",
      "sources": ["d2l_blas.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra"],
      "libraries": ["-lopenblas"],
      "conditions": [
        ["openblas_linkdir != ''", { "libraries": ["-L<(openblas_linkdir)"] }],
        ["openblas_rundir != ''", { "libraries": ["-Wl,-rpath,<(openblas_rundir)"] }]
      ]
    }
  ]
}

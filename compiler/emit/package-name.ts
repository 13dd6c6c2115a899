// The name mdl is published under on the npm registry (`mdl` itself is taken there; the
// command is still `mdl`). A compiled folder depends on this package by name and version, so
// `npm install` in a copy of the folder on another machine finds it.
export const PACKAGE_NAME = 'mdl-nn';

//! Graph tests live here.

//! EF01 protocol codec (work in progress).
#![no_std]

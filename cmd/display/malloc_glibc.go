//go:build linux && cgo

package main

/*
#include <malloc.h>
*/
import "C"

// tuneMalloc keeps large C blocks (the GL driver's text textures: a 280-point number is about
// 1 MB) in their own mappings, returned to the system when freed. glibc otherwise raises its
// mmap threshold each time such a block is freed, so later textures land in the heap arenas,
// whose free space it keeps: the display stayed at 850–950 MB after a burst of calls.
func tuneMalloc() { C.mallopt(C.M_MMAP_THRESHOLD, 256<<10) }

// trimMalloc gives the free pages of the C heap back to the system.
func trimMalloc() { C.malloc_trim(0) }

/* assert.h: deliberately without an include guard; NDEBUG is read at every inclusion. */
#undef assert

#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) ((expr) ? (void)0 : __assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && __STDC_VERSION__ < 202311L && !defined(static_assert)
#define static_assert _Static_assert
#endif

#ifndef _ASSERT_FAIL_DECLARED
#define _ASSERT_FAIL_DECLARED
__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, int line, const char *func);
#endif

/*
 * A PKCS#11 module that wraps another one (SoftHSM2 in development) and injects the faults of `npm run chaos`
 * (docs/RELIABILITY.md): the signing worker loads it as PKCS11_MODULE and sees a token that, for a while, fails
 * every signature, or that closes all of its sessions once (what an HSM restart or failover does).
 *
 *   CHAOS_PKCS11_MODULE   the real module (default /usr/lib/softhsm/libsofthsm2.so)
 *   CHAOS_PKCS11_CONTROL  a file the harness writes, read before every C_SignInit / C_Sign:
 *                           absent or empty  no fault
 *                           "error"          CKR_DEVICE_ERROR (PKCS#11 v2.40 §5.1: the device failed)
 *                           "close-sessions" C_CloseAllSessions on the session's slot, once (the file then says
 *                                            "sessions-closed"); the call then fails as the real module answers
 *
 * Build: cc -shared -fPIC -O2 -I/usr/include/p11-kit-1 -o pkcs11-fault.so pkcs11-fault.c -ldl
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST wrapped;
static CK_FUNCTION_LIST_PTR real;

static const char *control_file(void) {
  const char *f = getenv("CHAOS_PKCS11_CONTROL");
  return f && *f ? f : NULL;
}

/* The fault the control file asks for now: 0 none, 1 error, 2 close. */
static int fault_now(void) {
  const char *file = control_file();
  if (!file) return 0;
  FILE *fp = fopen(file, "r");
  if (!fp) return 0;
  char buf[32] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = 0;
  if (strncmp(buf, "error", 5) == 0) return 1;
  if (strncmp(buf, "close-sessions", 14) == 0) return 2;
  return 0;
}

static void mark_closed(void) {
  FILE *fp = fopen(control_file(), "w");
  if (fp) {
    fputs("sessions-closed\n", fp);
    fclose(fp);
  }
}

static CK_RV inject(CK_SESSION_HANDLE session) {
  switch (fault_now()) {
    case 1:
      return CKR_DEVICE_ERROR;
    case 2: {
      CK_SESSION_INFO info;
      if (real->C_GetSessionInfo(session, &info) == CKR_OK) real->C_CloseAllSessions(info.slotID);
      mark_closed();
      return CKR_OK;
    }
    default:
      return CKR_OK;
  }
}

static CK_RV fault_SignInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
  CK_RV rv = inject(session);
  if (rv != CKR_OK) return rv;
  return real->C_SignInit(session, mechanism, key);
}

static CK_RV fault_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR signature, CK_ULONG_PTR signature_len) {
  CK_RV rv = inject(session);
  if (rv != CKR_OK) {
    /* PKCS#11 v2.40 §5.11: a failed C_Sign ends the operation; end the real one too. */
    CK_BYTE scratch[512];
    CK_ULONG len = sizeof scratch;
    real->C_Sign(session, data, data_len, scratch, &len);
    return rv;
  }
  return real->C_Sign(session, data, data_len, signature, signature_len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!real) {
    const char *path = getenv("CHAOS_PKCS11_MODULE");
    void *lib = dlopen(path && *path ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    if (!get || get(&real) != CKR_OK) return CKR_GENERAL_ERROR;
    wrapped = *real;
    wrapped.C_SignInit = fault_SignInit;
    wrapped.C_Sign = fault_Sign;
  }
  *list = &wrapped;
  return CKR_OK;
}

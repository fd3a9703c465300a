// The element type of a shader's float tensors in memory. A variant built with VKNN_F16
// (`name:source.comp:VKNN_F16` in shaders/CMakeLists.txt) stores them as IEEE binary16, which
// needs only the device's storageBuffer16BitAccess (VK_KHR_16bit_storage): values are
// converted to fp32 on load (`float(x[i])`) and back on store (`TO_STORE(v)`), so all
// arithmetic and accumulation stays fp32. Without VKNN_F16 both are plain fp32.
#ifdef VKNN_F16
#extension GL_EXT_shader_16bit_storage : require
#define STORE_T float16_t
#define TO_STORE(v) float16_t(v)
#else
#define STORE_T float
#define TO_STORE(v) (v)
#endif

#version 450
// Three coloured triangles, no vertex buffer: positions and colours come from gl_VertexIndex
// (draw 9 vertices). Clip space, y down (Vulkan).
layout(location = 0) out vec3 v_color;

const vec2 kPos[9] = vec2[](
    vec2(-0.85, 0.80), vec2(-0.05, 0.80), vec2(-0.45, -0.60),  // red, lower left
    vec2(0.05, 0.75), vec2(0.90, 0.70), vec2(0.45, -0.85),     // green, right
    vec2(-0.60, -0.20), vec2(0.50, 0.10), vec2(-0.10, -0.95)); // blue, overlapping both, drawn last
const vec3 kColor[9] = vec3[](
    vec3(0.95, 0.15, 0.10), vec3(0.95, 0.15, 0.10), vec3(1.00, 0.80, 0.20),
    vec3(0.10, 0.80, 0.25), vec3(0.10, 0.80, 0.25), vec3(0.60, 1.00, 0.60),
    vec3(0.15, 0.25, 0.95), vec3(0.15, 0.25, 0.95), vec3(0.70, 0.40, 1.00));

void main() {
  gl_Position = vec4(kPos[gl_VertexIndex], 0.0, 1.0);
  v_color = kColor[gl_VertexIndex];
}

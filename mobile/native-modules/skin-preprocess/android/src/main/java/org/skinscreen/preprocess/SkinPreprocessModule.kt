package org.skinscreen.preprocess

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import androidx.exifinterface.media.ExifInterface
import expo.modules.kotlin.exception.CodedException
import expo.modules.kotlin.modules.Module
import expo.modules.kotlin.modules.ModuleDefinition
import java.io.InputStream
import kotlin.math.abs
import kotlin.math.ceil
import kotlin.math.max
import kotlin.math.min

/**
 * preprocessAsync(uri, size): a step-for-step port of src/features/screening/preprocess.ts
 * (applyOrientation -> centerSquare -> resizeBilinear with Pillow's 22-bit fixed-point coefficients).
 * Decoding is Android's (BitmapFactory); JPEG decoders differ slightly between platforms, so parity
 * with the pipeline is a tolerance on decoded pixels, and bit-exact from there on.
 */
class SkinPreprocessModule : Module() {
  override fun definition() = ModuleDefinition {
    Name("SkinPreprocess")

    AsyncFunction("preprocessAsync") { uri: String, size: Int ->
      if (size <= 0) throw CodedException("ERR_SIZE", "size must be a positive integer, got $size", null)
      val context = appContext.reactContext ?: throw CodedException("ERR_CONTEXT", "No React context", null)
      val parsed = Uri.parse(uri)
      fun open(): InputStream = context.contentResolver.openInputStream(parsed)
        ?: throw CodedException("ERR_READ", "Cannot open $uri", null)
      val orientation = open().use { ExifInterface(it).getAttributeInt(ExifInterface.TAG_ORIENTATION, 1) }
      val options = BitmapFactory.Options().apply { inPreferredConfig = Bitmap.Config.ARGB_8888 }
      val bitmap = open().use { BitmapFactory.decodeStream(it, null, options) }
        ?: throw CodedException("ERR_DECODE", "Not an image Android can decode: $uri", null)
      val rgb = Rgb(bitmap.width, bitmap.height, toRgbOnWhite(bitmap))
      bitmap.recycle()
      val square = centerSquare(applyOrientation(rgb, orientation))
      val out = if (square.width == size) square else resizeBilinear(square, size, size)
      out.data
    }
  }
}

class Rgb(val width: Int, val height: Int, val data: ByteArray)

private const val PRECISION_BITS = 32 - 8 - 2

/** ARGB pixels -> RGB bytes; transparent pixels composited on white like the pipeline's to_rgb. */
internal fun toRgbOnWhite(bitmap: Bitmap): ByteArray {
  val w = bitmap.width
  val h = bitmap.height
  val row = IntArray(w)
  val out = ByteArray(w * h * 3)
  for (y in 0 until h) {
    bitmap.getPixels(row, 0, w, 0, y, w, 1)
    for (x in 0 until w) {
      val p = row[x]
      val a = (p ushr 24) and 0xff
      var r = (p shr 16) and 0xff
      var g = (p shr 8) and 0xff
      var b = p and 0xff
      if (a != 255) {
        r = (r * a + 255 * (255 - a) + 127) / 255
        g = (g * a + 255 * (255 - a) + 127) / 255
        b = (b * a + 255 * (255 - a) + 127) / 255
      }
      val o = (y * w + x) * 3
      out[o] = r.toByte()
      out[o + 1] = g.toByte()
      out[o + 2] = b.toByte()
    }
  }
  return out
}

/** preprocess.ts applyOrientation: EXIF 1-8 like PIL.ImageOps.exif_transpose. */
internal fun applyOrientation(src: Rgb, orientation: Int): Rgb {
  if (orientation < 2 || orientation > 8) return src
  val transposed = orientation >= 5
  val width = if (transposed) src.height else src.width
  val height = if (transposed) src.width else src.height
  val out = ByteArray(width * height * 3)
  for (y in 0 until height) {
    for (x in 0 until width) {
      val (sx, sy) = when (orientation) {
        2 -> Pair(src.width - 1 - x, y)
        3 -> Pair(src.width - 1 - x, src.height - 1 - y)
        4 -> Pair(x, src.height - 1 - y)
        5 -> Pair(y, x)
        6 -> Pair(y, src.height - 1 - x)
        7 -> Pair(src.width - 1 - y, src.height - 1 - x)
        else -> Pair(src.width - 1 - y, x)
      }
      val from = (sy * src.width + sx) * 3
      val to = (y * width + x) * 3
      out[to] = src.data[from]
      out[to + 1] = src.data[from + 1]
      out[to + 2] = src.data[from + 2]
    }
  }
  return Rgb(width, height, out)
}

/** preprocess.ts centerSquare. */
internal fun centerSquare(src: Rgb): Rgb {
  val side = min(src.width, src.height)
  val left = (src.width - side) / 2
  val top = (src.height - side) / 2
  val out = ByteArray(side * side * 3)
  for (y in 0 until side) {
    System.arraycopy(src.data, ((y + top) * src.width + left) * 3, out, y * side * 3, side * 3)
  }
  return Rgb(side, side, out)
}

private fun bilinear(x: Double): Double {
  val a = abs(x)
  return if (a < 1.0) 1.0 - a else 0.0
}

internal class Coefficients(val bounds: IntArray, val kernels: IntArray, val ksize: Int)

/** preprocess.ts resampleCoefficients (Pillow precompute_coeffs + normalize_coeffs_8bpc). */
internal fun resampleCoefficients(inSize: Int, outSize: Int): Coefficients {
  val scale = inSize.toDouble() / outSize
  val filterscale = max(scale, 1.0)
  val support = 1.0 * filterscale
  val ksize = ceil(support).toInt() * 2 + 1
  val bounds = IntArray(outSize * 2)
  val kernels = IntArray(outSize * ksize)
  val pre = DoubleArray(ksize)
  for (xx in 0 until outSize) {
    val center = (xx + 0.5) * scale
    val ss = 1.0 / filterscale
    val xmin = max((center - support + 0.5).toInt(), 0) // toInt truncates toward zero, like C's (int)
    val xmax = min((center + support + 0.5).toInt(), inSize) - xmin
    var ww = 0.0
    for (x in 0 until xmax) {
      val w = bilinear((x + xmin - center + 0.5) * ss)
      pre[x] = w
      ww += w
    }
    for (x in 0 until ksize) {
      val k = if (x < xmax && ww != 0.0) pre[x] / ww else 0.0
      val scaled = k * (1 shl PRECISION_BITS)
      kernels[xx * ksize + x] = if (k < 0) (-0.5 + scaled).toInt() else (0.5 + scaled).toInt()
    }
    bounds[xx * 2] = xmin
    bounds[xx * 2 + 1] = xmax
  }
  return Coefficients(bounds, kernels, ksize)
}

private fun clip8(v: Long): Byte {
  val shifted = v shr PRECISION_BITS // arithmetic shift = floor division, as Math.floor in the TS
  return (if (shifted < 0) 0 else if (shifted > 255) 255 else shifted.toInt()).toByte()
}

private fun u8(b: Byte): Long = (b.toInt() and 0xff).toLong()

/** preprocess.ts resampleHorizontal. */
private fun resampleHorizontal(src: Rgb, outWidth: Int, rowFirst: Int, rows: Int): Rgb {
  val c = resampleCoefficients(src.width, outWidth)
  val out = ByteArray(outWidth * rows * 3)
  val half = 1L shl (PRECISION_BITS - 1)
  for (y in 0 until rows) {
    val rowIn = (y + rowFirst) * src.width * 3
    for (xx in 0 until outWidth) {
      val xmin = c.bounds[xx * 2]
      val xmax = c.bounds[xx * 2 + 1]
      var r = half
      var g = half
      var b = half
      for (x in 0 until xmax) {
        val k = c.kernels[xx * c.ksize + x].toLong()
        val p = rowIn + (x + xmin) * 3
        r += u8(src.data[p]) * k
        g += u8(src.data[p + 1]) * k
        b += u8(src.data[p + 2]) * k
      }
      val o = (y * outWidth + xx) * 3
      out[o] = clip8(r)
      out[o + 1] = clip8(g)
      out[o + 2] = clip8(b)
    }
  }
  return Rgb(outWidth, rows, out)
}

/** preprocess.ts resampleVertical. */
private fun resampleVertical(src: Rgb, outHeight: Int, c: Coefficients, offset: Int): Rgb {
  val out = ByteArray(src.width * outHeight * 3)
  val half = 1L shl (PRECISION_BITS - 1)
  for (yy in 0 until outHeight) {
    val ymin = c.bounds[yy * 2] - offset
    val ymax = c.bounds[yy * 2 + 1]
    for (xx in 0 until src.width) {
      var r = half
      var g = half
      var b = half
      for (y in 0 until ymax) {
        val k = c.kernels[yy * c.ksize + y].toLong()
        val p = ((y + ymin) * src.width + xx) * 3
        r += u8(src.data[p]) * k
        g += u8(src.data[p + 1]) * k
        b += u8(src.data[p + 2]) * k
      }
      val o = (yy * src.width + xx) * 3
      out[o] = clip8(r)
      out[o + 1] = clip8(g)
      out[o + 2] = clip8(b)
    }
  }
  return Rgb(src.width, outHeight, out)
}

/** preprocess.ts resizeBilinear: horizontal pass over the rows the vertical pass needs, then vertical. */
internal fun resizeBilinear(src: Rgb, width: Int, height: Int): Rgb {
  val needH = width != src.width
  val needV = height != src.height
  if (!needH && !needV) return Rgb(width, height, src.data.copyOf())
  val vert = resampleCoefficients(src.height, height)
  var image = src
  var offset = 0
  if (needH) {
    var first = 0
    var rows = src.height
    if (needV) {
      first = vert.bounds[0]
      val lastBound = vert.bounds[(height - 1) * 2] + vert.bounds[(height - 1) * 2 + 1]
      rows = lastBound - first
      offset = first
    }
    image = resampleHorizontal(src, width, first, rows)
  }
  return if (needV) resampleVertical(image, height, vert, offset) else image
}

r"""Bad-input trial: feed xraynet every kind of broken input a user or an attacker can.

Not a test (the tests assert each behaviour on its own): a trial run as a
demanding user and a security reviewer would, printing one table row per case
(case, what was done, exit status or exception, message, verdict). Every bad
input is built in a temporary folder with OpenCV, NumPy and pydicom (never in
the data folder) and goes through the public API and the ``xraynet`` command
line (in-process ``xraynet.cli.main`` with stderr captured, and ``python -m
xraynet`` in a subprocess where the exit status of a real process matters).

Verdicts:

* OK -- refused with a message naming the file or argument and what was
  expected (or, for a valid but unusual input, read correctly);
* WEAK -- refused, but the message does not say what or why, or a user error
  exits 1 instead of 2;
* BUG -- accepted silently, a wrong answer, a hang, a traceback, exit status 0
  for an error, or an exception type no user can expect.

Expectations: library messages name the file or argument and say what was
expected; the CLI exits 2 for user errors (bad options, missing paths, model
files it will not read), 1 for data problems (unreadable images), never prints
a traceback unless XRAYNET_DEBUG is set.

Usage::

    python benchmarks/bad_input_trial.py            # all cases, ~2-4 min on 2 CPUs
    python benchmarks/bad_input_trial.py --quick    # no case that starts its own process (CI)
    python benchmarks/bad_input_trial.py --strict   # exit 1 if any case is a BUG
    python benchmarks/bad_input_trial.py -k cli,mask  # only cases whose name or group matches

What this trial found on the tree of 2026-12-03 13:05 (commit 7d9a78c), fixed since,
each with a test on real files in ``xraynet/io/tests/test_trial_fixes.py``,
``xraynet/models/tests/test_persistence_trial.py`` and ``tests/test_cli_trial.py``:

* a ``.skops`` file could run code or delete a folder on load (every NumPy/SciPy
  class was accepted: ``numpy``'s ``DataSource`` rmtrees its folder in ``__del__``,
  ``scipy.stats`` distributions ``exec`` an attribute in ``__setstate__``; names
  resolved through re-exports such as ``sklearn.datasets._openml.Request``);
* ``load_model`` / ``xraynet predict`` waited forever on a FIFO given as MODEL;
  tampered metadata raised RecursionError / TypeError; a zip-bomb metadata entry
  was read whole; a failing ``save_model`` truncated the previous ``.keras`` to 0 bytes;
* lung masks: a PNG header announcing 400 MP was decoded, a JSON declaring
  1e6 x 1e6 px raised a bare MemoryError, a point at x=1e12 wrapped in int32
  into a wrong mask, negative / non-integer sizes raised bare ValueErrors;
* a NUL byte in a path, a DICOM window of width 0 or an unknown VOI LUT function
  raised ValueErrors naming no file;
* ``predict``: ``--threshold`` ignored on a 3-class model while the header said
  it was used; a NaN stored ``threshold_`` or NaN probabilities called every image
  normal; ``--size`` ignored by loader models and failing on every image of a
  network trained at another size; a foreign ``metrics.json`` beside MODEL crashed
  it; DICOMs named by UID skipped in folders; a BOM in ``--from-file``; empty or
  repeated ``--classes`` names; ``| head`` gave "error: [Errno 32] Broken pipe";
  OpenCV's own "[ERROR:0@...]" log lines; ``python -m xraynet`` did not run;
* the truncated-JPEG check printed "Corrupt JPEG data: 4094 extraneous bytes"
  twice for every complete file it checked (46 lines for the Kermany training set).

Results of the last run, 2026-12-03 14:19 UTC (commit 83928ea: every fix of issue 15's
second trial in, including the four the trial found in other modules: folders it may not
read, ``evaluate --out FILE``, ``compare --n-jobs 0`` / ``--size 100000``), with
``XRAYNET_DATA=/work/shared/data .venv/bin/python benchmarks/bad_input_trial.py``, 89 s on
the shared 2-core machine. The one WEAK left is libjpeg writing its own warning to stderr
for a corrupt file (hiding it would mean redirecting stderr at the OS level, which would
also swallow progress bars)::

      # verdict group       case                             outcome          message
      1 OK      io          io_zero_byte                     ImageLoadError   cannot load image '<tmp>/bad/empty.png': file is empty (0 bytes)
                              read_image on a zero-byte .png
      2 OK      io          io_truncated_jpeg                ImageLoadError   cannot load image '<tmp>/bad/truncated.jpg': truncated JPEG (no end-of-image marker)
                              JPEG cut in half (no end marker)
      3 OK      io          io_truncated_jpeg_eoi            ImageLoadError   cannot load image '<tmp>/bad/truncated_eoi.jpg': truncated JPEG (the image data end before the last block; libjpeg would fill...
                              JPEG cut in half, end marker re-appended
      4 OK      io          io_truncated_png                 ImageLoadError   cannot load image '<tmp>/bad/truncated.png': truncated PNG (no IEND chunk)
                              PNG cut in half
      5 OK      io          io_png_bomb                      ImageLoadError   cannot load image '<tmp>/bad/bomb.png': image is 100000x100000 pixels (10000.0 MP), above max_pixels=100000000 (possible deco...
                              PNG whose IHDR claims 100000x100000 px (173 bytes)
      6 OK      io          io_gif_bomb                      ImageLoadError   cannot load image '<tmp>/bad/bomb.gif': image is 16000x16000 pixels (256.0 MP), above max_pixels=100000000 (possible decompre...
                              GIF whose header claims 16000x16000 px
      7 OK      io          io_png16                         ok               dtype uint8, max 255, ramp 0..255
                              16-bit PNG, all 65535 -> 255, ramp keeps its order
      8 OK      io          io_nan_tiff                      ImageLoadError   cannot load image '<tmp>/bad/nan.tiff': 1 of 256 pixel values are NaN or infinite (a float image with missing data; they have...
                              float32 TIFF with one NaN pixel
      9 OK      io          io_float_tiff                    ok               pixel 128
                              float32 TIFF of 0.5 everywhere -> 128
     10 OK      io          io_rgba                          ok               shape (16, 16, 1), opaque 255, transparent 0
                              4-channel PNG, half transparent white -> composited on black
     11 OK      io          io_gif                           ok               (64, 64, 1)
                              a real GIF (Pillow-made)
     12 OK      io          io_text_as_jpg                   ImageLoadError   cannot load image '<tmp>/bad/notes.jpg': not a recognised image format (OpenCV could not decode it)
                              a text file named .jpg
     13 OK      io          io_dir_png                       ImageLoadError   cannot load image '<tmp>/bad/folder.png': is a directory, not a file
                              a directory named folder.png
     14 OK      io          io_symlink_loop                  ImageLoadError   cannot load image '<tmp>/bad/loop.png': cannot read file: Too many levels of symbolic links
                              a symlink loop
     15 OK      io          io_dangling                      ImageLoadError   cannot load image '<tmp>/bad/dangling.png': file not found
                              a dangling symlink
     16 OK      io          io_fifo                          ImageLoadError   cannot load image '<tmp>/bad/pipe.png': is a FIFO (named pipe), not a regular file
                              a FIFO named pipe.png (nobody writes to it)
     17 OK      io          io_dev_zero                      ImageLoadError   cannot load image '/dev/zero': is a character device, not a regular file
                              /dev/zero
     18 OK      io          io_permission_denied             ImageLoadError   cannot load image '<tmp>/bad/secret.png': cannot read file: Permission denied
                              file mode 000, read as an unprivileged user (forked, uid 65534)
     19 OK      io          io_non_ascii                     ok               (64, 64, 1)
                              non-ASCII file name Röntgen_胸部.png
     20 OK      io          io_spaces                        ok               (64, 64, 1)
                              file name with spaces and parentheses
     21 OK      io          io_bad_marker                    ImageLoadError   cannot load image '<tmp>/bad/bad_marker.jpg': corrupt JPEG (bad marker at byte 20)
                              JPEG with a corrupt marker after SOI
     22 OK      io          io_bad_crc                       ImageLoadError   cannot load image '<tmp>/bad/bad_crc.png': corrupt or unsupported PNG (OpenCV could not decode it)
                              PNG with one flipped byte in the IHDR (bad CRC)
     23 OK      io          io_bmp_bomb                      ImageLoadError   cannot load image '<tmp>/bad/huge.bmp': image is 90000x90000 pixels (8100.0 MP), above max_pixels=100000000 (possible decompr...
                              BMP header claiming 90000x90000 px
     24 OK      io          io_dicom_nopixels                ImageLoadError   cannot load image '<tmp>/bad/nopixels.dcm': DICOM file holds no pixel data
                              DICOM without pixel data
     25 OK      io          io_dicom_truncated               ImageLoadError   cannot load image '<tmp>/bad/truncated.dcm': cannot decode DICOM: The number of bytes of pixel data is less than expected (10...
                              DICOM with its pixel data cut short
     26 OK      io          io_random_dcm                    ImageLoadError   cannot load image '<tmp>/bad/random.dcm': DICOM file holds no pixel data
                              2000 random bytes named .dcm
     27 OK      io          io_dicom_good                    ok               (32, 32, 1)
                              valid 12-bit DICOM (min-max to 0-255)
     28 OK      io          io_max_bytes                     ImageLoadError   cannot load image '<tmp>/bad/big.png': file is 12,377 bytes, above max_bytes=1,000 (raise max_bytes if the file is genuine)
                              file above max_bytes=1000
     29 OK      io          io_int_path                      TypeError        path must be a str or path-like object; got int.
                              read_image(42) (not a path)
     30 OK      io          io_bad_color                     ValueError       color must be 'grayscale' or 'rgb'; got 'rgba'.
                              read_image(color='rgba')
     31 OK      io          io_bad_max_pixels                ValueError       max_pixels must be a positive int or None; got 0.
                              read_image(max_pixels=0)
     32 OK      io          io_nul_byte                      ImageLoadError   cannot load image '<tmp>/bad/a\x00b.png': invalid file name (embedded null byte)
                              a path with a NUL byte
     33 OK      io          io_long_name                     ImageLoadError   cannot load image '<tmp>/bad/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...
                              a 300-character file name
     34 OK      io          io_rgba16                        ok               255 / 0
                              16-bit RGBA PNG, lower half transparent
     35 OK      io          io_jpeg_bomb                     ImageLoadError   cannot load image '<tmp>/bad/bomb.jpg': image is 65000x65000 pixels (4225.0 MP), above max_pixels=100000000 (possible decompr...
                              JPEG whose frame header claims 65000x65000 px
     36 OK      io          io_tiff_bomb                     ImageLoadError   cannot load image '<tmp>/bad/bomb.tiff': image is 100000x100000 pixels (10000.0 MP), above max_pixels=100000000 (possible dec...
                              TIFF whose IFD claims 100000x100000 px
     37 OK      io          io_pgm_bomb                      ImageLoadError   cannot load image '<tmp>/bad/bomb.pgm': image is 100000x100000 pixels (10000.0 MP), above max_pixels=100000000 (possible deco...
                              PGM whose header claims 100000x100000 px
     38 OK      io          io_webp_bomb                     ImageLoadError   cannot load image '<tmp>/bad/bomb.webp': not a recognised image format (OpenCV could not decode it)
                              WebP (VP8X) header claiming 16000x16000 px
     39 OK      io          io_dicom_huge                    ImageLoadError   cannot load image '<tmp>/bad/huge.dcm': image is 65535x65535 pixels (4294.8 MP), above max_pixels=100000000 (possible decompr...
                              DICOM header claiming 65535x65535 px (pixel data 8 KB)
     40 OK      io          io_dicom_frames                  ImageLoadError   cannot load image '<tmp>/bad/frames.dcm': multi-frame DICOM (3 frames) is not supported
                              multi-frame DICOM (3 frames)
     41 OK      io          io_dicom_mono1                   ok               first pixel 255 vs 0 in MONOCHROME2
                              MONOCHROME1 DICOM: inverted, so bone stays bright
     42 OK      io          io_dicom_bad_window              ok               same as without a window: [True, True]
                              DICOM with WindowWidth 0 / an unknown VOI LUT function (window ignored)
     43 OK      io          io_dicom_nan                     ImageLoadError   cannot load image '<tmp>/bad/nan_slope.dcm': 1024 of 1024 pixel values are NaN or infinite (a float image with missing data; ...
                              DICOM with RescaleSlope NaN
     44 OK      io          io_sparse_huge                   ImageLoadError   cannot load image '<tmp>/bad/sparse.png': file is 629,145,600 bytes, above max_bytes=536,870,912 (raise max_bytes if the file...
                              a 600 MB sparse file named .png (default max_bytes)
     45 OK      io          loader_none_first                ValueError       X holds object values (file paths?), not pixel arrays; put an xraynet.ImageLoader in front of this estimator to load files.
                              ImageLoader on [None, path]
     46 OK      io          mask_negative                    ImageLoadError   cannot load image '<tmp>/masks/neg.json': mask JSON declares the image size -5 x 40 (height x width); expected two positive i...
                              mask JSON declaring height -5
     47 OK      io          mask_huge                        ImageLoadError   cannot load image '<tmp>/masks/huge.json': image is 1000000x1000000 pixels (1000000.0 MP), above max_pixels=100000000 (possib...
                              mask JSON declaring 1000000x1000000 px
     48 OK      io          mask_far_point                   ImageLoadError   cannot load image '<tmp>/masks/far.json': mask JSON: polygon in annotation 0 has a point (1e+12, 1) far outside the 40x40 ima...
                              mask polygon with a point at x=1e12
     49 OK      io          mask_png_bomb                    ImageLoadError   cannot load image '<tmp>/masks/bomb_mask.png': image is 20000x20000 pixels (400.0 MP), above max_pixels=100000000 (possible d...
                              mask PNG whose header claims 20000x20000 px
     50 OK      io          mask_loader_errors               ImageLoadError   cannot load image '<tmp>/masks/gone.png': file not found / cannot load image '<tmp>/masks/empty_mask.png': mask is empty (no lung pixel) / cannot load image '<tmp>/masks/wide_mask.png': mask is 128x64 but the image is 64x64 (different aspect ratio; a mask may only...
                              ImageLoader(mask_mode='crop'): missing / empty / wrong-aspect mask
     51 OK      io          loader_empty                     ValueError       X is empty: expected at least one file path or image.
                              ImageLoader().transform([]) (no paths)
     52 OK      io          loader_bare_string               ValueError       X must be a 1-D array-like of file paths or an array of images; got a single path '<tmp>/bad/good.png'. Wrap it in a list: [p...
                              ImageLoader().transform('one/path.png') (a bare string)
     53 OK      io          loader_missing_file              ImageLoadError   cannot load image '<tmp>/bad/missing.png': file not found
                              ImageLoader on [good, missing, good] with n_jobs=2
     54 OK      io          loader_size_zero                 InvalidParameter The 'size' parameter of ImageLoader must be an int in the range [1, inf), an instance of 'tuple' or an instance of 'list'. Got 0 instead.
                              ImageLoader(size=0)
     55 OK      io          loader_size_pair                 ValueError       size must be a positive int or a (height, width) pair; got (32, 'a').
                              ImageLoader(size=(32, 'a'))
     56 OK      io          loader_mixed_arrays              ok               (2, 16, 16, 1)
                              ImageLoader on a list of arrays of different sizes
     57 OK      io          loader_float_range               ValueError       X has float pixel values in [0, 300]; expected [0, 1] or [0, 255].
                              ImageLoader on float images in [0, 300]
     58 OK      io          loader_mixed_list                ValueError       X[1] is float 3.5; expected a file path (str or path-like).
                              ImageLoader on [path, 3.5] (mixed list)
     59 OK      datasets    folder_empty                     ValueError       Image folder '<tmp>/trees/empty' has no class sub-folders; expected one sub-folder per class (e.g. NORMAL/ and PNEUMONIA/) ho...
                              load_image_folder on an empty folder
     60 OK      datasets    folder_one_class                 ok               target_names [np.str_('NORMAL')]
                              load_image_folder with one class (NORMAL only)
     61 OK      datasets    folder_nested                    ok               3 files
                              class folders nested two levels (class/patient/study/*.png)
     62 OK      datasets    folder_wrong_level               ValueError       Class folder '<tmp>/trees/level/test' holds sub-folders 'NORMAL' that look like classes: pass a folder whose sub-folders are ...
                              the data set root (chest_xray/{train,test}/...) instead of a split
     63 OK      datasets    folder_hidden                    ok               2 files, warnings []
                              hidden files (.DS_Store, ._a.png, Thumbs.db) in class folders
     64 OK      datasets    folder_mixed_sizes               ok               (3, 24, 24, 1)
                              mixed image sizes and formats, then ImageLoader(size=24)
     65 OK      datasets    folder_non_images                ok + warning     Skipped 2 non-image file(s) under '<tmp>/trees/nonimg': '<tmp>/trees/nonimg/NORMAL/notes.txt', '/tmp/xr...
                              non-image files (notes.txt, scan.pdf) among the images
     66 OK      datasets    folder_no_normal                 ValueError       Cannot tell which class is normal: none of the class folders of '<tmp>/trees/nonormal' ('covid', 'influenza') is named like a...
                              no recognisable normal class (covid/, influenza/)
     67 OK      datasets    folder_is_file                   ValueError       '<tmp>/bad/good.png' is a file; load_image_folder needs a folder holding one sub-folder per class (e.g. chest_xray/train with...
                              load_image_folder on a file
     68 OK      datasets    folder_missing                   ValueError       Image folder '<tmp>/nope' does not exist.
                              load_image_folder on a missing path
     69 OK      datasets    folder_empty_class               ValueError       Class folder '<tmp>/trees/emptyclass/PNEUMONIA' holds no image files (extensions .jpg .jpeg .png .bmp .tif .tiff .dcm .dicom,...
                              a class folder with no images
     70 OK      datasets    folder_unreadable_subfolder      ValueError       Class folder '<tmp>/trees/perm/PNEUMONIA': cannot read '<tmp>/trees/perm/PNEUMONIA/ward2' (Permission d...
                              a class sub-folder it may not read (forked, uid 65534)
     71 OK      datasets    folder_check_files               ok + warning     Skipped 1 unreadable image file(s) under '<tmp>/trees/corrupt': '<tmp>/trees/corrupt/NORMAL/b.png'.
                              check_files=True with one corrupt image
     72 OK      datasets    table_missing_column             ValueError       path_column='path' is not a column of the table; columns are 'file', 'label'.
                              load_image_table: path column missing
     73 OK      datasets    table_missing_label              ValueError       label_column='label' is not a column of the table; columns are 'path', 'finding'.
                              load_image_table: label column missing
     74 OK      datasets    table_empty_label                ValueError       Column 'label' (label_column) is empty in 1 row(s): index 1.
                              load_image_table: an empty label cell
     75 OK      datasets    table_bad_label_map              ValueError       Unknown label(s) 'weird' (1 rows): add them to label_map (map a label to None to drop its rows).
                              load_image_table: label_map lacks a label
     76 OK      datasets    table_missing_file               ok + warning     Dropped 1 row(s) whose image file does not exist: '<tmp>/tables/img/9.png'.
                              load_image_table: one of three files missing
     77 OK      datasets    table_relative_paths             ok               resolved to <tmp>/tables/img/0.png
                              load_image_table: relative paths, CSV in another folder, no image_dir
     78 OK      datasets    table_all_missing                ValueError       None of the 2 image file(s) of the table could be used (looked under '<tmp>/tables'); check path_column and image_dir.
                              load_image_table: every path missing
     79 OK      datasets    table_not_csv                    ValueError       Could not read metadata table '<tmp>/bad/good.png' as CSV: 'utf-8' codec can't decode byte 0x89 in position 0: invalid start ...
                              load_image_table on a PNG file (not a CSV)
     80 OK      datasets    table_no_normal                  ValueError       Cannot tell which class is normal: none of the labels of 'label' ('covid', 'flu') is named like a normal class (normal, healthy, negative, control,...
                              load_image_table: labels with no normal class
     81 OK      estimators  cnn_2d                           ValueError       X must have shape (n_samples, height, width[, channels]); got an array with 2 dimension(s), shape (6, 256).
                              CNNClassifier.fit on 2-D X (n, 256)
     82 OK      estimators  cnn_5d                           ValueError       X must have shape (n_samples, height, width[, channels]); got an array with 5 dimension(s), shape (6, 16, 16, 1, 1).
                              CNNClassifier.fit on 5-D X
     83 OK      estimators  cnn_one_sample                   ValueError       y holds a single class (0); a classifier needs at least 2.
                              CNNClassifier.fit on 1 sample
     84 OK      estimators  cnn_single_class                 ValueError       y holds a single class (0); a classifier needs at least 2.
                              CNNClassifier.fit with a single class
     85 OK      estimators  cnn_string_labels                ok               predicted [np.str_('pneumonia'), np.str_('pneumonia'), np.str_('pneumonia'), np.str_('pneumonia')]
                              CNNClassifier.fit with string labels, predict returns them
     86 OK      estimators  cnn_nan                          ValueError       X contains 1 NaN or infinite pixel value (first in image 2); they have no grey level. Replace them first, e.g. with np.nan_to_num(X, nan=0.0).
                              CNNClassifier.fit on float X with NaN pixels
     87 OK      estimators  cnn_wrong_size                   ValueError       X has images of shape (24, 24, 1); this CNNClassifier was fitted on 16x16 images with 1 channel(s). Resize/convert them the same way (e.g. xraynet....
                              fitted 16x16 CNN .predict on 24x24 images
     88 OK      estimators  cnn_wrong_channels               ValueError       X has images of shape (16, 16, 3); this CNNClassifier was fitted on 16x16 images with 1 channel(s). Resize/convert them the same way (e.g. xraynet....
                              fitted 1-channel CNN .predict on RGB images
     89 OK      estimators  cnn_not_fitted                   NotFittedError   This CNNClassifier instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.
                              CNNClassifier().predict before fit
     90 OK      estimators  cnn_length_mismatch              ValueError       X has 6 images but y has 3 labels.
                              CNNClassifier.fit with len(y) != len(X)
     91 OK      estimators  cnn_epochs_zero                  InvalidParameter The 'epochs' parameter of CNNClassifier must be an int in the range [1, inf). Got 0 instead.
                              CNNClassifier(epochs=0).fit
     92 OK      estimators  cnn_paths                        ValueError       X holds object values (file paths?), not pixel arrays; put an xraynet.ImageLoader in front of this estimator to load files.
                              CNNClassifier.fit on file paths (no ImageLoader)
     93 OK      persistence persist_garbage_keras            ValueError       <tmp>/models/garbage.keras is not a .keras archive (not a zip file).
                              load_model on 4 KB of random bytes named .keras
     94 OK      persistence persist_garbage_bundle           ValueError       <tmp>/models/garbage.xraynet is not a .xraynet model bundle (corrupt or truncated zip file).
                              load_model on a corrupt zip named .xraynet
     95 OK      persistence persist_truncated_keras          ValueError       <tmp>/models/truncated.keras is not a .keras archive (corrupt or truncated zip file).
                              load_model on a .keras cut in half
     96 OK      persistence persist_pickle                   ValueError       <tmp>/models/random.pkl is not a .keras, .skops or .xraynet model file (it looks like a pickle / joblib file). If it is a pic...
                              load_model on a plain pickle (.pkl), trusted=False
     97 OK      persistence persist_evil_pickle              ValueError       <tmp>/models/evil.joblib is not a .keras, .skops or .xraynet model file (it looks like a pickle / joblib file). If it is a pi...
                              load_model on a code-running pickle (.joblib), trusted=False
     98 OK      persistence persist_pickle_as_skops          ValueError       <tmp>/models/pickle_named.skops is not a .skops file (not a zip file). It looks like a pickle: if you trust it, rename it to ...
                              load_model on a pickle renamed .skops
     99 OK      persistence persist_untrusted_skops          ValueError       <tmp>/models/untrusted.skops holds types that xraynet does not load: posix.system. Only scikit-learn and xraynet classes (who...
                              load_model on a .skops naming posix.system
    100 OK      persistence persist_foreign_class            ValueError       <tmp>/models/foreign.keras: refusing to load class 'os:system': only xraynet classes are allowed.
                              load_model on a .keras whose metadata names os:system
    101 OK      persistence persist_traversal                ValueError       <tmp>/models/traversal.xraynet: unexpected network entry '../../evil.keras'.
                              load_model on a bundle with a '../../evil.keras' entry
    102 OK      persistence persist_empty                    ValueError       <tmp>/models/empty.skops is empty (0 bytes): not a model file.
                              load_model on an empty .skops
    103 OK      persistence persist_plain_zip                ValueError       <tmp>/models/plain.zip is a zip file but no xraynet model (.keras, .skops or .xraynet).
                              load_model on a zip that is no model
    104 OK      persistence persist_folder_missing           ValueError / Fil <tmp>/models is a folder; xraynet models are single files (.keras, .skops or .xraynet). It holds '<tmp>... / no such model file: <tmp>/models/nope.keras
                              load_model on a folder / a missing file
    105 OK      persistence persist_trusted_garbage          ValueError       <tmp>/models/garbage.joblib: cannot unpickle it (KeyError: 248); not a pickle / joblib model file?
                              load_model(trusted=True) on random bytes named .joblib
    106 OK      persistence persist_fifo                     ValueError       <tmp>/models/fifo.keras is not a regular file (a FIFO, device or socket); xraynet models are files (.keras, .skops or .xraynet).
                              load_model on a FIFO named model.keras (nobody writes)
    107 OK      persistence persist_deep_meta                ValueError       <tmp>/models/deep.keras: corrupt xraynet_estimator.json (RecursionError: maximum recursion depth exceeded while decoding a JS...
                              load_model on .keras metadata nested 100000 deep
    108 OK      persistence persist_meta_list                ValueError       <tmp>/models/list.keras: corrupt xraynet_estimator.json (TypeError: xraynet.models._cnn.CNNClassifier() argument after ** mus...
                              load_model on .keras metadata whose params are a list
    109 OK      persistence persist_meta_bomb                ValueError       <tmp>/models/bomb.keras: xraynet_estimator.json is 68,158,087 bytes uncompressed, above the 67,108,864 an xraynet model file ...
                              load_model on .keras metadata padded to 65 MB (zip bomb, ~70 KB packed)
    110 OK      persistence persist_lambda                   ValueError       <tmp>/models/lambda.keras: cannot read the network (ValueError: Requested the deserialization of a `Lambda` layer whose `func...
                              load_model on a .keras whose network has a Lambda layer
    111 OK      persistence persist_skops_datasource         ValueError       <tmp>/models/datasource.skops holds types that xraynet does not load: numpy.lib.npyio.DataSource. Only scikit-learn and xrayn...
                              a .skops holding numpy's DataSource aimed at a folder (rmtree in __del__)
    112 OK      persistence persist_skops_scipy_exec         ValueError       <tmp>/models/dist.skops holds types that xraynet does not load: scipy.stats._continuous_distns.norm_gen. Only scikit-learn an...
                              a .skops holding a scipy.stats distribution whose template runs code
    113 OK      persistence persist_skops_reexport           ValueError       <tmp>/models/reexport.skops holds types that xraynet does not load: sklearn.datasets._openml.Request. Only scikit-learn and x...
                              a .skops naming urllib's Request through sklearn.datasets._openml
    114 OK      persistence persist_keras_foreign_module     ValueError       <tmp>/models/os_layer.keras: cannot read the network (TypeError: <class 'keras.src.models.functional.Functional'> could not b...
                              a .keras whose config names a layer os.system
    115 OK      persistence persist_save_fails_halfway       RuntimeError     previous model intact, no temporary file left
                              save_model over a previous model.keras, Keras failing half-way
    116 OK      persistence persist_save_under_file          FileExistsError  [Errno 17] File exists: '<tmp>/models/results.txt'
                              save_model to a path under a file (results.txt/model)
    117 OK      persistence persist_save_suffix              ValueError       a CNNClassifier is saved as .keras, not .skops; use 'x.keras' (or leave the suffix out).
                              save_model with a mismatched suffix (CNN -> .skops)
    118 OK      cli         cli_no_command                   exit 2           prints the help
                              xraynet (no command)
    119 OK      cli         cli_unknown_command              exit 2           xraynet: error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'compare', 'predict', 'evaluate') (see 'xraynet --help')
                              xraynet frobnicate
    120 OK      cli         cli_compare_missing              exit 2           xraynet: error: DATA_DIR '<tmp>/nope' is not a folder
                              compare on a missing DATA_DIR
    121 OK      cli         cli_compare_file                 exit 2           xraynet: error: DATA_DIR '<tmp>/bad/good.png' is not a folder
                              compare with DATA_DIR a file
    122 OK      cli         cli_compare_numbers              exit 2 x15       e.g. xraynet: error: --cv 30 is larger than the 11 patients in the smallest class of the training split; use --cv 11 or fewer (at least 2)
                              compare: every numeric option with bad values (15 runs)
    123 OK      cli         cli_compare_out_file             exit 2           xraynet: error: --out '<tmp>/out_is_a_file.txt' exists and is not a folder
                              compare --out an existing file
    124 OK      cli         cli_compare_out_under_file       exit 2           xraynet: error: --out '<tmp>/blocker.txt/results' cannot be created: File exists
                              compare --out under a file (file.txt/results)
    125 OK      cli         cli_compare_out_unwritable       exit 2           xraynet: error: --out '<tmp>/locked/results' cannot be written: Permission denied
                              compare --out in a folder it cannot write (forked, uid 65534)
    126 OK      cli         cli_compare_unknown_model        exit 2           xraynet: error: unknown model name(s) nope; choose from seed_cnn, resnet, mobilenetv2, hog_svm, random_forest
                              compare --models nope
    127 OK      cli         cli_compare_one_class            exit 2           xraynet: error: DATA_DIR '<tmp>/trees/cli_one' has only one class sub-folder (NORMAL); need at least two
                              compare on a folder with one class
    128 OK      cli         cli_compare_no_normal            exit 2           xraynet: error: DATA_DIR '<tmp>/trees/cli_nonormal': Cannot tell which class is normal: none of the class folders of '/tmp/xr...
                              compare on a folder without a normal class
    129 OK      cli         cli_compare_missing_test         exit 2           xraynet: error: --test '<tmp>/nope' does not exist (a folder or a CSV table)
                              compare --test on a missing folder
    130 OK      cli         cli_compare_both                 exit 2           xraynet: error: give one of DATA_DIR, --labels CSV or --dataset, not DATA_DIR and --dataset
                              compare --dataset pneumoniamnist with DATA_DIR too
    131 OK      cli         cli_compare_bad_regex            exit 2           xraynet: error: --patient-pattern '(': patient_id_from_pattern: '(' is not a valid regular expression (missing ), unterminated subpattern at positi...
                              compare --patient-pattern '(' (invalid regex)
    132 OK      cli         cli_compare_corrupt              exit 1           xraynet: error: cannot load image '<tmp>/trees/cli_corrupt/PNEUMONIA/person99_bacteria_9.png': not a recognised image format ...
                              compare on a folder with a corrupt image (no --skip-unreadable)
    133 OK      cli         cli_predict_missing_model        exit 2           xraynet: error: MODEL '<tmp>/nope.skops' does not exist
                              predict with a missing MODEL
    134 OK      cli         cli_predict_pickle               exit 2           xraynet: error: MODEL '<tmp>/models/random.pkl' cannot be read: ValueError: <tmp>/models/random.pkl is ...
                              predict with a random pickle as MODEL
    135 OK      cli         cli_predict_evil                 exit 2           xraynet: error: MODEL '<tmp>/models/evil.pkl' cannot be read: ValueError: <tmp>/models/evil.pkl is not ...
                              predict with a code-running pickle, no --trust-pickle
    136 OK      cli         cli_predict_trusted_dict         exit 2           xraynet: error: MODEL '<tmp>/models/random.pkl' holds a dict, not a classifier
                              predict --trust-pickle with a pickle holding a dict
    137 OK      cli         cli_predict_truncated_keras      exit 2           xraynet: error: MODEL '<tmp>/models/truncated.keras' cannot be read: ValueError: <tmp>/models/truncated...
                              predict with a truncated .keras
    138 OK      cli         cli_predict_untrusted_skops      exit 2           xraynet: error: MODEL '<tmp>/models/untrusted.skops' cannot be read: ValueError: <tmp>/models/untrusted...
                              predict with a .skops naming posix.system
    139 OK      cli         cli_predict_model_folder         exit 2           xraynet: error: MODEL '<tmp>/models' cannot be read: ValueError: <tmp>/models is a folder; xraynet mode...
                              predict with MODEL a folder
    140 OK      cli         cli_predict_mixed                exit 1           xraynet: error: <tmp>/bad/missing.png: cannot load image '<tmp>/bad/missing.png': file not found / xray...
                              predict: good, missing, corrupt and FIFO images -> rows for the good ones
    141 OK      cli         cli_predict_fifo_model           exit 2           xraynet: error: MODEL '<tmp>/models/fifo_model.skops' cannot be read: ValueError: <tmp>/models/fifo_mod...
                              predict with MODEL a FIFO (nobody writes)
    142 OK      cli         cli_predict_threshold_multiclass exit 2           xraynet: error: --threshold applies to two-class models; MODEL '<tmp>/three/model.skops' has 3 classes (0, 1, 2) and predicts...
                              predict --threshold 0.99 on a 3-class model
    143 OK      cli         cli_predict_foreign_sidecar      exit 0           <tmp>/bad/good.png 0.7748 1
                              predict with a foreign metrics.json (a JSON list) beside MODEL
    144 OK      cli         cli_predict_symlink_folder       exit 0           1 row(s)
                              predict on a folder holding a symlink loop and one image
    145 OK      cli         cli_predict_size_mismatch        exit 2           xraynet: error: --size 24: MODEL '<tmp>/models/cnn.keras' was trained on 16x16 images and takes only those; leave --size out / xraynet: error: --size 64: MODEL '<tmp>/results/model.skops' reads the image files itself, resizing them to 32x32 as in train...
                              predict --size 24 with a 16 px CNN / --size 64 with a loader model
    146 OK      cli         cli_predict_nan_threshold        exit 2           xraynet: error: MODEL '<tmp>/models/nan_threshold.skops': Pipeline.threshold_ is nan; a decision threshold on P(disease) must...
                              predict with a model whose stored threshold_ is NaN
    147 OK      cli         cli_broken_pipe                  exit 141         quiet
                              python -m xraynet predict ... | head -0 (stdout closed early)
    148 OK      cli         cli_predict_nan_network          exit 1           xraynet: error: <tmp>/bad/good.png: MODEL gave non-finite probabilities [nan, nan] (a corrupt model?) / xraynet: error: /tmp/...
                              predict with a CNN whose weights are all NaN
    149 OK      cli         cli_predict_pacs_folder          exit 0           1 row(s) # threshold on p_disease: 0.5000
                              predict on a PACS folder: DICOMs named by UID, a notes.txt
    150 OK      cli         cli_predict_bom                  exit 0           2 row(s) # threshold on p_disease: 0.5795
                              predict --from-file saved by Notepad (UTF-8 BOM, CRLF)
    151 OK      cli         cli_predict_results_folder       exit 2           xraynet: error: MODEL '<tmp>/results' cannot be read: ValueError: <tmp>/results is a folder; xraynet mo...
                              predict with MODEL the results folder of compare
    152 OK      cli         cli_compare_size_huge            exit 2           xraynet: error: --size 100000: at most 1024 px (the networks train on size x size images; 64-256 is usual)
                              compare --size 100000 (a typo for 100)
    153 OK      cli         cli_predict_threshold            exit 2           xraynet: error: argument --threshold: expected a number in [0, 1], got '2' (see 'xraynet predict --help')
                              predict --threshold 2 / nan / -0.1
    154 OK      cli         cli_predict_numbers              exit 2           xraynet: error: argument --size: expected a positive integer, got '0' (see 'xraynet predict --help') / xraynet: error: argument --max-pixels: expected a positive integer, got '-5' (see 'xraynet predict --help')
                              predict --size 0 / --max-pixels -5
    155 OK      cli         cli_predict_bomb                 exit 1           xraynet: error: <tmp>/bad/good.png: cannot load image '<tmp>/bad/good.png': image is 64x64 pixels (0.0 ...
                              predict a PNG bomb with --max-pixels 1000
    156 OK      cli         cli_predict_empty_folder         exit 2           xraynet: error: IMAGE folder '<tmp>/trees/cli_noimg' holds no image files (.jpg .jpeg .png .bmp .tif .tiff .dcm .dicom)
                              predict a folder with no images
    157 OK      cli         cli_predict_from_file            exit 2           xraynet: error: --from-file '<tmp>/nolist.txt' cannot be read: No such file or directory / xraynet: error: --from-file '<tmp>/list.bin' cannot be read: 'utf-8' codec can't decode byte 0xff in position 0: invalid star...
                              predict --from-file missing / binary
    158 OK      cli         cli_predict_classes              exit 2           xraynet: error: --classes names 3 classes; the model has 2
                              predict --classes a,b,c on a 2-class model
    159 OK      cli         cli_predict_classes_empty        exit 2           xraynet: error: --classes 'normal,': class names must be distinct and not empty / xraynet: error: --classes 'a,a': class names must be distinct and not empty
                              predict --classes 'normal,' / 'a,a'
    160 OK      cli         cli_predict_intermixed           exit 0           2 rows
                              predict MODEL --format csv IMAGE IMAGE (images after the options)
    161 OK      cli         cli_predict_format               exit 2           xraynet: error: argument --format: invalid choice: 'xml' (choose from 'tsv', 'csv', 'json') (see 'xraynet predict --help')
                              predict --format xml
    162 OK      cli         cli_predict_keras                exit 0           p_disease 0.506
                              predict with the .keras CNN on a 64 px image (resized to 16)
    163 OK      cli         cli_evaluate_missing             exit 2           xraynet: error: TEST_DIR_OR_CSV '<tmp>/nope' does not exist
                              evaluate with a missing TEST
    164 OK      cli         cli_evaluate_bad_csv             exit 2           xraynet: error: TEST_DIR_OR_CSV '<tmp>/tables/eval.csv': --label-column 'label' is not a column of the table; columns are 'pa...
                              evaluate with a CSV lacking the label column
    165 OK      cli         cli_evaluate_out_file            exit 2           xraynet: error: --out '<tmp>/eval_out.txt' exists and is not a folder
                              evaluate --out an existing file
    166 OK      cli         cli_evaluate_numbers             exit 2           xraynet: error: argument --random-state: invalid int value: 'abc' (see 'xraynet evaluate --help') / xraynet: error: argument --threshold: expected a number in [0, 1], got '2' (see 'xraynet evaluate --help')
                              evaluate --random-state abc / --threshold 2
    167 OK      cli         cli_evaluate_classes             exit 2           xraynet: error: TEST_DIR_OR_CSV '<tmp>/trees/eval3' has 3 classes (NORMAL, covid, flu); the model has 2
                              evaluate a 2-class model on a 3-class folder
    168 OK      cli         cli_evaluate_corrupt             exit 1           xraynet: error: cannot load image '<tmp>/trees/eval_corrupt/NORMAL/b.png': not a recognised image format (OpenCV could not de...
                              evaluate on a folder with a corrupt image
    169 OK      io          io_jpeg_check_quiet              quiet            nothing on stderr
                              a complete JPEG with grey corners (the truncation check runs): stderr
    170 WEAK    cli         cli_subprocess_corrupt_lines     exit 1           2 line(s) from C libraries: Corrupt JPEG data: premature end of data segment  [libjpeg prints itself]
                              python -m xraynet predict on corrupt files: lines on stderr (fd level)
    171 OK      cli         cli_subprocess_predict           exit 1           xraynet: error: <tmp>/gone.png: cannot load image '<tmp>/gone.png': file not found
                              python -m xraynet predict on a missing image (a real process)

    171 cases: 170 OK, 1 WEAK, 0 BUG  (89 s)
"""

import argparse
import contextlib
import io
import json
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zipfile
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.pop("XRAYNET_DEBUG", None)  # the trial checks the user-facing behaviour

import cv2  # noqa: E402
import numpy as np  # noqa: E402

HANG_S = 20  # a case still running after this long is a hang (BUG)
ROOT = None  # the trial's temporary folder
RESULTS = []
CASES = []


# ---------------------------------------------------------------- framework
class Outcome:
    """What one case did: status (exit code or exception name), message, verdict, note."""

    def __init__(self, status, message, verdict, note=""):
        self.status, self.message, self.verdict, self.note = status, message, verdict, note


SLOW = set()  # cases that start a Python process of their own (TensorFlow import): not --quick


def case(group, what, *, slow=False):
    """Register a case: ``what`` says what is done, the function returns an Outcome."""

    def deco(fn):
        CASES.append((group, fn.__name__, what, fn))
        if slow:
            SLOW.add(fn.__name__)
        return fn

    return deco


def _one_line(text, n=150):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _has(msg, words):
    low = msg.lower()
    return [w for w in words if w.lower() not in low]


def _call(fn, timeout=HANG_S):
    """(result, exception, hung) of ``fn()`` run in a thread with a timeout."""
    box = {}

    def run():
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                box["result"] = fn()
            box["warnings"] = [str(w.message) for w in caught]
        except BaseException as exc:  # noqa: BLE001 - the trial records everything
            box["exc"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        return None, None, True, []
    return box.get("result"), box.get("exc"), False, box.get("warnings", [])


def expect_error(fn, types, words=(), *, bad_types=(TypeError, KeyError, IndexError)):
    """The call must raise one of ``types`` with a message containing ``words``."""
    result, exc, hung, _ = _call(fn)
    if hung:
        return Outcome("hang", f"still running after {HANG_S} s", "BUG")
    if exc is None:
        return Outcome("returned", f"accepted silently: {_one_line(repr(result), 80)}", "BUG")
    name = type(exc).__name__
    msg = _one_line(str(exc))
    if not isinstance(exc, types):
        verdict = "BUG" if isinstance(exc, bad_types) or not isinstance(exc, Exception) else "WEAK"
        return Outcome(name, msg, verdict, f"expected {'/'.join(t.__name__ for t in types)}")
    missing = _has(str(exc), words)
    if missing or not msg:
        return Outcome(name, msg, "WEAK", f"message lacks {missing}")
    return Outcome(name, msg, "OK")


def expect_ok(fn, check):
    """The call must succeed and ``check(result, warnings)`` return (ok, detail)."""
    result, exc, hung, caught = _call(fn)
    if hung:
        return Outcome("hang", f"still running after {HANG_S} s", "BUG")
    if exc is not None:
        return Outcome(type(exc).__name__, _one_line(str(exc)), "BUG", "should have worked")
    ok, detail = check(result, caught)
    return Outcome("ok", _one_line(detail), "OK" if ok else "BUG")


def expect_warning(fn, words, check=None):
    """The call must succeed with a warning containing ``words``."""
    result, exc, hung, caught = _call(fn)
    if hung:
        return Outcome("hang", f"still running after {HANG_S} s", "BUG")
    if exc is not None:
        return Outcome(type(exc).__name__, _one_line(str(exc)), "BUG", "should have warned")
    hits = [w for w in caught if not _has(w, words)]
    if check is not None:
        ok, detail = check(result)
        if not ok:
            return Outcome("ok", _one_line(detail), "BUG")
    if not hits:
        return Outcome("ok (no warning)", _one_line("; ".join(caught) or "-"), "WEAK")
    return Outcome("ok + warning", _one_line(hits[0]), "OK")


def run_cli(argv, timeout=120):
    """(exit status, stdout, stderr) of ``xraynet.cli.main(argv)`` in this process."""
    from xraynet.cli import main

    out, err = io.StringIO(), io.StringIO()
    box = {}

    def run():
        try:
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                warnings.catch_warnings(),
            ):
                warnings.simplefilter("default")
                box["rc"] = main([str(a) for a in argv])
        except SystemExit as exc:
            box["rc"] = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - an escaping exception is a BUG
            import traceback

            box["rc"] = "raised"
            err.write("Traceback (most recent call last):\n" + traceback.format_exc())
            box["exc"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        return "hang", out.getvalue(), err.getvalue()
    return box.get("rc"), out.getvalue(), err.getvalue()


def _error_lines(stderr):
    return [ln for ln in stderr.splitlines() if "error" in ln.lower() or "warning" in ln.lower()]


def judge_cli(rc, stdout, stderr, want_rc, words=(), *, max_lines=3):
    """Verdict for a CLI run that must fail with ``want_rc`` naming ``words``."""
    lines = _error_lines(stderr) or stderr.strip().splitlines()[-1:] or ["(no message)"]
    msg = _one_line(" / ".join(lines))
    if rc == "hang":
        return Outcome("hang", msg, "BUG")
    if "Traceback" in stderr:
        return Outcome(f"exit {rc}", _one_line(stderr.strip().splitlines()[-1]), "BUG", "traceback")
    if rc == 0:
        return Outcome("exit 0", msg, "BUG", "an error exited 0")
    missing = _has(stderr, words)
    if rc != want_rc:
        return Outcome(f"exit {rc}", msg, "WEAK", f"expected exit {want_rc}")
    if missing:
        return Outcome(f"exit {rc}", msg, "WEAK", f"message lacks {missing}")
    if len(lines) > max_lines:
        return Outcome(f"exit {rc}", msg, "WEAK", f"{len(lines)} error lines")
    return Outcome(f"exit {rc}", msg, "OK")


def cli_case(argv, want_rc, words=(), **kw):
    return judge_cli(*run_cli(argv), want_rc, words, **kw)


def run_subprocess(argv, *, user=None, timeout=180, cwd=None):
    """(exit status, stdout, stderr) of ``python -m xraynet argv`` (optionally as ``user``)."""
    env = {k: v for k, v in os.environ.items() if k != "XRAYNET_DEBUG"}
    env["HOME"] = str(ROOT / "home")
    env["MPLCONFIGDIR"] = str(ROOT / "home" / "mpl")
    kw = {}
    if user is not None:
        kw["user"], kw["group"], kw["extra_groups"] = user, user, []
    try:
        p = subprocess.run(
            [sys.executable, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd or ROOT,
            **kw,
        )
    except subprocess.TimeoutExpired as exc:
        return "hang", exc.stdout or "", exc.stderr or ""
    return p.returncode, p.stdout, p.stderr


def as_unprivileged(fn, timeout=60):
    """``fn()`` in a forked child running as uid/gid 65534 (as root), else as is.

    Returns {"result": ...} (JSON-able) or {"exc": type name, "msg": message}.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop privileges, run, report through the pipe
        try:
            os.close(r)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            payload = {"result": fn()}
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            payload = {"exc": type(exc).__name__, "msg": str(exc)}
        with contextlib.suppress(BaseException):
            os.write(w, json.dumps(payload, default=str).encode())
        os._exit(0)
    os.close(w)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(r, "rb") as f:
        os.set_blocking(f.fileno(), False)
        while time.monotonic() < deadline:
            try:
                chunk = f.read()
            except BlockingIOError:
                chunk = None
            if chunk:
                chunks.append(chunk)
            elif chunk == b"":
                break
            time.sleep(0.05)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"exc": "hang" if time.monotonic() >= deadline else "no result", "msg": ""}


# ---------------------------------------------------------------- fixtures
def _xray(h=32, w=32, seed=0, disease=False):
    """A small synthetic grey 'chest X-ray': two dark lungs, brighter if diseased."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 200, np.uint8)
    cv2.ellipse(img, (w // 3, h // 2), (w // 7, h // 3), 0, 0, 360, 60, -1)
    cv2.ellipse(img, (2 * w // 3, h // 2), (w // 7, h // 3), 0, 0, 360, 60, -1)
    if disease:
        cv2.circle(img, (w // 3, h // 2), max(2, w // 8), 170, -1)
    noise = rng.integers(-15, 16, img.shape)
    return np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)


def _write(path, img, params=()):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix or ".png", img, list(params))
    assert ok, path
    path.write_bytes(buf.tobytes())
    return path


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width, height):
    """A tiny valid-looking PNG whose IHDR announces width x height (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _gif_claiming(width, height):
    """A GIF header (logical screen and one image) announcing width x height."""
    head = b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00"
    palette = b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHH", 0, 0, width, height) + b"\x00"
    data = b"\x02\x02\x44\x01\x00"  # LZW min code size 2, one tiny sub-block
    return head + palette + image + data + b"\x3b"


def _dicom(
    path,
    *,
    rows=32,
    cols=32,
    pixels=True,
    truncate=False,
    frames=1,
    photometric=None,
    slope=None,
    window=None,
    voi=None,
):
    """A minimal CR DICOM file written with pydicom (a ramp of 12-bit values)."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.PatientID = "P1"
    ds.Modality = "CR"
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    if pixels:
        ds.Rows, ds.Columns = rows, cols
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = photometric or "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelRepresentation = 0
        if frames > 1:
            ds.NumberOfFrames = frames
        if slope is not None:
            ds.RescaleSlope, ds.RescaleIntercept = slope, 0
        if window is not None:
            ds.WindowCenter, ds.WindowWidth = window
        if voi is not None:
            ds.VOILUTFunction = voi
        n = rows * cols * frames if not truncate else min(rows * cols, 4096)
        ds.PixelData = (np.arange(n, dtype=np.uint16) % 4096).tobytes()
    pydicom.dcmwrite(str(path), ds, enforce_file_format=True)
    if truncate and rows * cols <= 4096:
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) - rows * cols])
    return Path(path)


def build_fixtures():
    """Write the good and bad files every case uses; return a dict of paths."""
    f = {}
    bad = ROOT / "bad"
    bad.mkdir()
    good = _xray(64, 64)
    f["good_png"] = _write(bad / "good.png", good)
    jpg = _write(bad / "good.jpg", _xray(256, 256), [cv2.IMWRITE_JPEG_QUALITY, 90])
    data = jpg.read_bytes()
    f["empty"] = bad / "empty.png"
    f["empty"].write_bytes(b"")
    f["trunc_jpg"] = bad / "truncated.jpg"
    f["trunc_jpg"].write_bytes(data[: len(data) // 2])
    f["trunc_jpg_eoi"] = bad / "truncated_eoi.jpg"
    f["trunc_jpg_eoi"].write_bytes(data[: len(data) // 2] + b"\xff\xd9")
    png = f["good_png"].read_bytes()
    f["trunc_png"] = bad / "truncated.png"
    f["trunc_png"].write_bytes(png[: len(png) // 2])
    f["bomb_png"] = bad / "bomb.png"
    f["bomb_png"].write_bytes(_png_claiming(100_000, 100_000))
    f["bomb_gif"] = bad / "bomb.gif"
    f["bomb_gif"].write_bytes(_gif_claiming(16_000, 16_000))
    f["png16"] = _write(bad / "sixteen.png", np.full((16, 16), 65535, np.uint16))
    ramp16 = np.tile(np.linspace(0, 65535, 16).astype(np.uint16), (16, 1))
    f["png16_ramp"] = _write(bad / "ramp16.png", ramp16)
    nan_tif = np.ones((16, 16), np.float32) * 0.5
    nan_tif[3, 4] = np.nan
    f["nan_tif"] = _write(bad / "nan.tiff", nan_tif)
    f["float_tif"] = _write(bad / "float.tiff", np.full((16, 16), 0.5, np.float32))
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = 0  # fully transparent white
    rgba[:8, :, 3] = 255  # top half opaque white
    f["rgba_png"] = _write(bad / "alpha.png", rgba)
    from PIL import Image

    Image.fromarray(good).save(bad / "image.gif")
    f["gif"] = bad / "image.gif"
    f["text_jpg"] = bad / "notes.jpg"
    f["text_jpg"].write_text("this is not an image\n")
    f["dir_png"] = bad / "folder.png"
    f["dir_png"].mkdir()
    f["loop"] = bad / "loop.png"
    os.symlink(bad / "loop2.png", f["loop"])
    os.symlink(f["loop"], bad / "loop2.png")
    f["dangling"] = bad / "dangling.png"
    os.symlink(bad / "nowhere.png", f["dangling"])
    f["fifo"] = bad / "pipe.png"
    os.mkfifo(f["fifo"])
    f["secret"] = _write(bad / "secret.png", good)
    f["secret"].chmod(0)
    f["umlaut"] = _write(bad / "Röntgen_胸部.png", good)
    f["space"] = _write(bad / "chest x ray (1).png", good)
    f["bad_marker_jpg"] = bad / "bad_marker.jpg"
    f["bad_marker_jpg"].write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40)
    f["bad_crc_png"] = bad / "bad_crc.png"
    f["bad_crc_png"].write_bytes(png[:29] + bytes([png[29] ^ 0xFF]) + png[30:])
    f["bmp_huge"] = bad / "huge.bmp"
    f["bmp_huge"].write_bytes(
        b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHH", 40, 90000, 90000, 1, 8)
    )
    f["dcm_nopix"] = _dicom(bad / "nopixels.dcm", pixels=False)
    f["dcm_trunc"] = _dicom(bad / "truncated.dcm", truncate=True)
    f["dcm_good"] = _dicom(bad / "good.dcm")
    f["rand_dcm"] = bad / "random.dcm"
    f["rand_dcm"].write_bytes(np.random.default_rng(0).bytes(2000))
    f["big_file"] = _write(bad / "big.png", _xray(128, 128))
    rgba16 = np.zeros((16, 16, 4), np.uint16)
    rgba16[..., :3], rgba16[..., 3] = 65535, 65535
    rgba16[8:, :, 3] = 0
    f["rgba16"] = _write(bad / "rgba16.png", rgba16)
    sof = data.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    f["jpeg_bomb"] = bad / "bomb.jpg"
    f["jpeg_bomb"].write_bytes(data[: sof + 5] + struct.pack(">HH", 65000, 65000) + data[sof + 9 :])
    entries = [
        (256, 4, 1, 100_000),
        (257, 4, 1, 100_000),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8),
        (277, 3, 1, 1),
        (278, 4, 1, 1),
        (279, 4, 1, 1),
    ]
    ifd = (
        struct.pack("<H", len(entries))
        + b"".join(
            struct.pack("<HHII", tag, typ, n, v)
            if typ == 4
            else struct.pack("<HHIHH", tag, typ, n, v, 0)
            for tag, typ, n, v in entries
        )
        + b"\0\0\0\0"
    )
    f["tiff_bomb"] = bad / "bomb.tiff"
    f["tiff_bomb"].write_bytes(b"II*\0" + struct.pack("<I", 8) + ifd + b"\0" * 16)
    f["pgm_bomb"] = bad / "bomb.pgm"
    f["pgm_bomb"].write_bytes(b"P5\n100000 100000\n255\n" + b"\0" * 64)
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (16000 - 1).to_bytes(3, "little") * 2
    f["webp_bomb"] = bad / "bomb.webp"
    f["webp_bomb"].write_bytes(b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)
    f["dcm_huge"] = _dicom(bad / "huge.dcm", rows=65535, cols=65535, pixels=True, truncate=True)
    f["dcm_frames"] = _dicom(bad / "frames.dcm", frames=3)
    f["dcm_mono1"] = _dicom(bad / "mono1.dcm", photometric="MONOCHROME1")
    f["dcm_nan"] = _dicom(bad / "nan_slope.dcm", slope="NaN")
    f["dcm_ww0"] = _dicom(bad / "window0.dcm", window=(2000, 0))
    f["dcm_voi"] = _dicom(bad / "voi_bogus.dcm", window=(2000, 400), voi="BOGUS")
    f["sparse"] = bad / "sparse.png"
    with open(f["sparse"], "wb") as fh:  # 600 MB, sparse: no disk space used
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(600 * 1024**2)
    # a folder of class folders, images 32 px (some other sizes), for compare/predict
    data_dir = ROOT / "data" / "train"
    for cls, disease in (("NORMAL", False), ("PNEUMONIA", True)):
        for i in range(14):
            side = 32 if i % 3 else 40
            _write(
                data_dir / cls / f"person{i}_{cls.lower()}_{i}.png", _xray(side, side, i, disease)
            )
    f["data_dir"] = data_dir
    test_dir = ROOT / "data" / "test"
    for cls, disease in (("NORMAL", False), ("PNEUMONIA", True)):
        for i in range(4):
            _write(test_dir / cls / f"t{i}.png", _xray(32, 32, 100 + i, disease))
    f["test_dir"] = test_dir
    return f


F = {}
MODELS = {}


def build_models():
    """A skops model from ``xraynet compare`` and a .keras CNN, plus corrupted copies."""
    out = ROOT / "results"
    rc, stdout, stderr = run_cli(
        [
            "compare",
            F["data_dir"],
            "--test",
            F["test_dir"],
            "--models",
            "hog_svm",
            "--quick",
            "--no-stress",
            "--size",
            "32",
            "--cv",
            "2",
            "--out",
            out,
            "-q",
        ],
        timeout=240,
    )
    if rc != 0:
        raise SystemExit(f"the fixture compare run failed ({rc}):\n{stderr[-3000:]}")
    MODELS["skops"] = next(out.glob("model.*"))
    from sklearn.pipeline import make_pipeline

    from xraynet.classical import make_hog_svm
    from xraynet.io import ImageLoader
    from xraynet.models import CNNClassifier, save_model

    paths = [str(p) for p in sorted(F["data_dir"].rglob("*.png"))[:12]]
    three = make_pipeline(
        ImageLoader(size=32), make_hog_svm(random_state=0, hog_params={"pixels_per_cell": 8})
    ).fit(np.asarray(paths, dtype=object), np.arange(12) % 3)
    MODELS["three"] = save_model(three, ROOT / "three" / "model")
    X = np.stack([_xray(16, 16, i, i % 2 == 1) for i in range(8)])[..., None]
    y = np.arange(8) % 2
    cnn = CNNClassifier(epochs=1, validation_fraction=0, random_state=0).fit(X, y)
    MODELS["cnn"] = cnn
    MODELS["keras"] = save_model(cnn, ROOT / "models" / "cnn")
    m = ROOT / "models"
    keras_bytes = MODELS["keras"].read_bytes()
    (m / "truncated.keras").write_bytes(keras_bytes[: len(keras_bytes) // 2])
    (m / "random.pkl").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    (m / "pickle_named.skops").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    (m / "garbage.keras").write_bytes(np.random.default_rng(1).bytes(4096))
    (m / "garbage.xraynet").write_bytes(b"PK\x03\x04" + np.random.default_rng(2).bytes(500))
    (m / "empty.skops").write_bytes(b"")

    class Evil:  # unpickling it would create the file 'pwned'
        def __reduce__(self):
            return (os.system, (f"touch {ROOT / 'pwned'}",))

    (m / "evil.joblib").write_bytes(pickle.dumps(Evil()))
    (m / "evil.pkl").write_bytes(pickle.dumps(Evil()))
    import skops.io as sio
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    (m / "untrusted.skops").write_bytes(
        sio.dumps(Pipeline([("f", FunctionTransformer(func=os.system))]))
    )
    # a .keras archive whose xraynet metadata names a class outside xraynet
    with zipfile.ZipFile(MODELS["keras"]) as zin, zipfile.ZipFile(m / "foreign.keras", "w") as zout:
        for item in zin.infolist():
            payload = zin.read(item)
            if item.filename == "xraynet_estimator.json":
                meta = json.loads(payload)
                meta["class"] = "os:system"
                payload = json.dumps(meta).encode()
            zout.writestr(item, payload)
    # a bundle whose manifest points a network entry outside the archive
    with zipfile.ZipFile(m / "traversal.xraynet", "w") as z:
        z.writestr("skeleton.skops", sio.dumps(Pipeline([("f", FunctionTransformer())])))
        z.writestr("manifest.json", json.dumps({"format": 1, "networks": ["../../evil.keras"]}))
    zipfile.ZipFile(m / "plain.zip", "w").writestr("readme.txt", "hello")


# ---------------------------------------------------------------- xraynet.io
def _read(key, **kw):
    from xraynet.io import read_image

    return lambda: read_image(F[key], **kw)


def _io_error(key, words=(), **kw):
    from xraynet.io import ImageLoadError

    return expect_error(_read(key, **kw), (ImageLoadError,), [F[key].name, *words])


@case("io", "read_image on a zero-byte .png")
def io_zero_byte():
    return _io_error("empty", ["empty"])


@case("io", "JPEG cut in half (no end marker)")
def io_truncated_jpeg():
    return _io_error("trunc_jpg", ["truncated"])


@case("io", "JPEG cut in half, end marker re-appended")
def io_truncated_jpeg_eoi():
    return _io_error("trunc_jpg_eoi", ["truncated"])


@case("io", "PNG cut in half")
def io_truncated_png():
    return _io_error("trunc_png", ["PNG"])


@case("io", "PNG whose IHDR claims 100000x100000 px (173 bytes)")
def io_png_bomb():
    return _io_error("bomb_png", ["max_pixels"])


@case("io", "GIF whose header claims 16000x16000 px")
def io_gif_bomb():
    return _io_error("bomb_gif", ["max_pixels"])


@case("io", "16-bit PNG, all 65535 -> 255, ramp keeps its order")
def io_png16():
    from xraynet.io import read_image

    def check(img, _):
        ramp = read_image(F["png16_ramp"])[0, :, 0]
        ok = (
            img.dtype == np.uint8
            and int(img.max()) == 255
            and np.all(np.diff(ramp.astype(int)) >= 0)
        )
        return ok, f"dtype {img.dtype}, max {img.max()}, ramp {ramp[0]}..{ramp[-1]}"

    return expect_ok(_read("png16"), check)


@case("io", "float32 TIFF with one NaN pixel")
def io_nan_tiff():
    return _io_error("nan_tif", ["NaN"])


@case("io", "float32 TIFF of 0.5 everywhere -> 128")
def io_float_tiff():
    return expect_ok(
        _read("float_tif"), lambda img, _: (int(img[0, 0, 0]) == 128, f"pixel {img[0, 0, 0]}")
    )


@case("io", "4-channel PNG, half transparent white -> composited on black")
def io_rgba():
    def check(img, _):
        top, bottom = int(img[0, 0, 0]), int(img[-1, 0, 0])
        return (img.shape == (16, 16, 1) and top == 255 and bottom == 0), (
            f"shape {img.shape}, opaque {top}, transparent {bottom}"
        )

    return expect_ok(_read("rgba_png"), check)


@case("io", "a real GIF (Pillow-made)")
def io_gif():
    from xraynet.io import ImageLoadError, read_image

    def fn():
        try:
            return read_image(F["gif"]).shape
        except ImageLoadError as exc:  # a clean refusal naming the file is fine too
            return f"refused: {exc}"

    return expect_ok(fn, lambda r, _: (r == (64, 64, 1) or "gif" in str(r).lower(), str(r)))


@case("io", "a text file named .jpg")
def io_text_as_jpg():
    return _io_error("text_jpg", ["not a recognised image"])


@case("io", "a directory named folder.png")
def io_dir_png():
    return _io_error("dir_png", ["directory"])


@case("io", "a symlink loop")
def io_symlink_loop():
    return _io_error("loop", ["symbolic links"])


@case("io", "a dangling symlink")
def io_dangling():
    return _io_error("dangling", ["not found"])


@case("io", "a FIFO named pipe.png (nobody writes to it)")
def io_fifo():
    return _io_error("fifo", ["FIFO"])


@case("io", "/dev/zero")
def io_dev_zero():
    from xraynet.io import ImageLoadError, read_image

    return expect_error(lambda: read_image("/dev/zero"), (ImageLoadError,), ["/dev/zero", "device"])


@case("io", "file mode 000, read as an unprivileged user (forked, uid 65534)")
def io_permission_denied():
    from xraynet.io import read_image

    res = as_unprivileged(lambda: read_image(F["secret"]).shape)
    if "exc" not in res:
        return Outcome("returned", "read a file it has no permission for", "BUG")
    ok = res["exc"] == "ImageLoadError" and "secret.png" in res["msg"] and "ermission" in res["msg"]
    return Outcome(res["exc"], _one_line(res["msg"]), "OK" if ok else "WEAK")


@case("io", "non-ASCII file name Röntgen_胸部.png")
def io_non_ascii():
    return expect_ok(_read("umlaut"), lambda img, _: (img.shape == (64, 64, 1), str(img.shape)))


@case("io", "file name with spaces and parentheses")
def io_spaces():
    return expect_ok(_read("space"), lambda img, _: (img.shape == (64, 64, 1), str(img.shape)))


@case("io", "JPEG with a corrupt marker after SOI")
def io_bad_marker():
    return _io_error("bad_marker_jpg", ["JPEG"])


@case("io", "PNG with one flipped byte in the IHDR (bad CRC)")
def io_bad_crc():
    from xraynet.io import ImageLoadError

    def check_fn():
        return _read("bad_crc_png")()

    result, exc, hung, _ = _call(check_fn)
    if hung:
        return Outcome("hang", "", "BUG")
    if exc is None:  # libpng may ignore the CRC and the flipped byte (IHDR width) may be benign
        return Outcome("returned", f"decoded as {result.shape}", "WEAK", "CRC error not reported")
    ok = isinstance(exc, ImageLoadError) and "bad_crc.png" in str(exc)
    return Outcome(type(exc).__name__, _one_line(str(exc)), "OK" if ok else "BUG")


@case("io", "BMP header claiming 90000x90000 px")
def io_bmp_bomb():
    return _io_error("bmp_huge", ["max_pixels"])


@case("io", "DICOM without pixel data")
def io_dicom_nopixels():
    return _io_error("dcm_nopix", ["pixel data"])


@case("io", "DICOM with its pixel data cut short")
def io_dicom_truncated():
    return _io_error("dcm_trunc", ["DICOM"])


@case("io", "2000 random bytes named .dcm")
def io_random_dcm():
    return _io_error("rand_dcm", ["DICOM"])


@case("io", "valid 12-bit DICOM (min-max to 0-255)")
def io_dicom_good():
    return expect_ok(
        _read("dcm_good"),
        lambda img, _: (img.shape == (32, 32, 1) and img.max() == 255, str(img.shape)),
    )


@case("io", "file above max_bytes=1000")
def io_max_bytes():
    return _io_error("big_file", ["max_bytes"], max_bytes=1000)


@case("io", "read_image(42) (not a path)")
def io_int_path():
    from xraynet.io import read_image

    return expect_error(lambda: read_image(42), (TypeError,), ["path"], bad_types=())


@case("io", "read_image(color='rgba')")
def io_bad_color():
    return expect_error(_read("good_png", color="rgba"), (ValueError,), ["color", "rgba"])


@case("io", "read_image(max_pixels=0)")
def io_bad_max_pixels():
    return expect_error(_read("good_png", max_pixels=0), (ValueError,), ["max_pixels"])


@case("io", "a path with a NUL byte")
def io_nul_byte():
    from xraynet.io import ImageLoadError, read_image

    path = str(ROOT / "bad" / "a\x00b.png")
    return expect_error(lambda: read_image(path), (ImageLoadError,), ["a\\x00b.png", "file name"])


@case("io", "a 300-character file name")
def io_long_name():
    from xraynet.io import ImageLoadError, read_image

    path = ROOT / "bad" / ("x" * 300 + ".png")
    return expect_error(lambda: read_image(path), (ImageLoadError,), ["xxxx", "too long"])


@case("io", "16-bit RGBA PNG, lower half transparent")
def io_rgba16():
    def check(img, _):
        return (int(img[0, 0, 0]), int(img[-1, 0, 0])) == (
            255,
            0,
        ), f"{img[0, 0, 0]} / {img[-1, 0, 0]}"

    return expect_ok(_read("rgba16"), check)


@case("io", "JPEG whose frame header claims 65000x65000 px")
def io_jpeg_bomb():
    return _io_error("jpeg_bomb", ["max_pixels"])


@case("io", "TIFF whose IFD claims 100000x100000 px")
def io_tiff_bomb():
    return _io_error("tiff_bomb", ["max_pixels"])


@case("io", "PGM whose header claims 100000x100000 px")
def io_pgm_bomb():
    return _io_error("pgm_bomb", ["max_pixels"])


@case("io", "WebP (VP8X) header claiming 16000x16000 px")
def io_webp_bomb():
    from xraynet.io import ImageLoadError

    return expect_error(_read("webp_bomb"), (ImageLoadError,), ["bomb.webp"])


@case("io", "DICOM header claiming 65535x65535 px (pixel data 8 KB)")
def io_dicom_huge():
    return _io_error("dcm_huge", ["max_pixels"])


@case("io", "multi-frame DICOM (3 frames)")
def io_dicom_frames():
    return _io_error("dcm_frames", ["multi-frame"])


@case("io", "MONOCHROME1 DICOM: inverted, so bone stays bright")
def io_dicom_mono1():
    from xraynet.io import read_image

    def check(img, _):
        ref = read_image(F["dcm_good"])
        ok = np.array_equal(img.astype(int), 255 - ref.astype(int))
        return ok, f"first pixel {img[0, 0, 0]} vs {ref[0, 0, 0]} in MONOCHROME2"

    return expect_ok(_read("dcm_mono1"), check)


@case("io", "DICOM with WindowWidth 0 / an unknown VOI LUT function (window ignored)")
def io_dicom_bad_window():
    from xraynet.io import read_image

    def fn():
        plain = read_image(F["dcm_good"])
        return [np.array_equal(read_image(F[k]), plain) for k in ("dcm_ww0", "dcm_voi")]

    return expect_ok(fn, lambda r, _: (all(r), f"same as without a window: {r}"))


@case("io", "DICOM with RescaleSlope NaN")
def io_dicom_nan():
    return _io_error("dcm_nan", ["NaN"])


@case("io", "a 600 MB sparse file named .png (default max_bytes)")
def io_sparse_huge():
    t = time.perf_counter()
    o = _io_error("sparse", ["max_bytes"])
    if time.perf_counter() - t > 2:
        return Outcome(
            o.status, f"took {time.perf_counter() - t:.1f} s", "WEAK", "read before refusing"
        )
    return o


@case("io", "ImageLoader on [None, path]")
def loader_none_first():
    from xraynet.io import ImageLoader

    return expect_error(
        lambda: ImageLoader(size=8).transform([None, str(F["good_png"])]), (ValueError,), ["X"]
    )


def _mask_json(name, image, points=((4, 4), (30, 4), (30, 30), (4, 30))):
    path = ROOT / "masks" / name
    path.parent.mkdir(exist_ok=True)
    doc = {"images": [image], "annotations": [{"segmentation": [np.ravel(points).tolist()]}]}
    path.write_text(json.dumps(doc))
    return path


def _mask(path, **kw):
    from xraynet.io import read_mask

    return lambda: read_mask(path, **kw)


@case("io", "mask JSON declaring height -5")
def mask_negative():
    from xraynet.io import ImageLoadError

    p = _mask_json("neg.json", {"height": -5, "width": 40})
    return expect_error(_mask(p, image_shape=(40, 40)), (ImageLoadError,), ["neg.json", "positive"])


@case("io", "mask JSON declaring 1000000x1000000 px")
def mask_huge():
    from xraynet.io import ImageLoadError

    p = _mask_json("huge.json", {"height": 10**6, "width": 10**6})
    return expect_error(_mask(p), (ImageLoadError,), ["huge.json", "max_pixels"])


@case("io", "mask polygon with a point at x=1e12")
def mask_far_point():
    from xraynet.io import ImageLoadError

    p = _mask_json("far.json", {"height": 40, "width": 40}, [(1e12, 1), (1e12, 30), (5, 30)])
    return expect_error(_mask(p), (ImageLoadError,), ["far.json", "outside"])


@case("io", "mask PNG whose header claims 20000x20000 px")
def mask_png_bomb():
    from xraynet.io import ImageLoadError

    p = ROOT / "masks" / "bomb_mask.png"
    p.parent.mkdir(exist_ok=True)
    p.write_bytes(_png_claiming(20_000, 20_000))
    return expect_error(_mask(p), (ImageLoadError,), ["bomb_mask.png", "max_pixels"])


@case("io", "ImageLoader(mask_mode='crop'): missing / empty / wrong-aspect mask")
def mask_loader_errors():
    from xraynet.io import ImageLoader, ImageLoadError

    d = ROOT / "masks"
    d.mkdir(exist_ok=True)
    empty = _write(d / "empty_mask.png", np.zeros((64, 64), np.uint8))
    wide = _write(d / "wide_mask.png", np.full((64, 128), 255, np.uint8))
    outs = [
        expect_error(
            lambda m=m: ImageLoader(size=8, mask_mode="crop").transform([[F["good_png"], m]]),
            (ImageLoadError,),
            words,
        )
        for m, words in (
            (d / "gone.png", ["gone.png", "not found"]),
            (empty, ["empty_mask.png", "empty"]),
            (wide, ["wide_mask.png", "aspect"]),
        )
    ]
    worst = max(outs, key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, " / ".join(o.message for o in outs), worst.verdict)


@case("io", "ImageLoader().transform([]) (no paths)")
def loader_empty():
    from xraynet.io import ImageLoader

    return expect_error(lambda: ImageLoader(size=16).transform([]), (ValueError,), ["empty"])


@case("io", "ImageLoader().transform('one/path.png') (a bare string)")
def loader_bare_string():
    from xraynet.io import ImageLoader

    return expect_error(
        lambda: ImageLoader(size=16).transform(str(F["good_png"])), (ValueError,), ["list"]
    )


@case("io", "ImageLoader on [good, missing, good] with n_jobs=2")
def loader_missing_file():
    from xraynet.io import ImageLoader, ImageLoadError

    missing = ROOT / "bad" / "missing.png"
    return expect_error(
        lambda: ImageLoader(size=16, n_jobs=2).transform([F["good_png"], missing, F["good_png"]]),
        (ImageLoadError,),
        ["missing.png", "not found"],
    )


@case("io", "ImageLoader(size=0)")
def loader_size_zero():
    from xraynet.io import ImageLoader

    return expect_error(
        lambda: ImageLoader(size=0).transform([F["good_png"]]), (ValueError,), ["size"]
    )


@case("io", "ImageLoader(size=(32, 'a'))")
def loader_size_pair():
    from xraynet.io import ImageLoader

    return expect_error(
        lambda: ImageLoader(size=(32, "a")).transform([F["good_png"]]), (ValueError,), ["size"]
    )


@case("io", "ImageLoader on a list of arrays of different sizes")
def loader_mixed_arrays():
    from xraynet.io import ImageLoader

    X = [np.zeros((20, 30), np.uint8), np.zeros((50, 40, 3), np.uint8)]
    return expect_ok(
        lambda: ImageLoader(size=16).transform(X),
        lambda r, _: (r.shape == (2, 16, 16, 1), str(r.shape)),
    )


@case("io", "ImageLoader on float images in [0, 300]")
def loader_float_range():
    from xraynet.io import ImageLoader

    X = np.linspace(0, 300, 2 * 8 * 8).reshape(2, 8, 8)
    return expect_error(lambda: ImageLoader(size=8).transform(X), (ValueError,), ["[0, 1]"])


@case("io", "ImageLoader on [path, 3.5] (mixed list)")
def loader_mixed_list():
    from xraynet.io import ImageLoader

    return expect_error(
        lambda: ImageLoader(size=8).transform([str(F["good_png"]), 3.5]), (ValueError,), ["X[1]"]
    )


# ---------------------------------------------------------------- datasets
def _tree(name, layout):
    """``layout``: {relative path: image side or text}; returns the folder."""
    root = ROOT / "trees" / name
    root.mkdir(parents=True)
    for rel, content in layout.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            p.mkdir()
        elif isinstance(content, int):
            _write(p, _xray(content, content))
        else:
            p.write_text(content)
    return root


def _folder(root, **kw):
    from xraynet.datasets import load_image_folder

    return lambda: load_image_folder(root, **kw)


@case("datasets", "load_image_folder on an empty folder")
def folder_empty():
    root = _tree("empty", {})
    return expect_error(_folder(root), (ValueError,), ["empty", "sub-folder"])


@case("datasets", "load_image_folder with one class (NORMAL only)")
def folder_one_class():
    root = _tree("one", {"NORMAL/a.png": 16, "NORMAL/b.png": 16})

    def check(data, _):
        return list(data.target_names) == ["NORMAL"], f"target_names {list(data.target_names)}"

    return expect_ok(_folder(root), check)


@case("datasets", "class folders nested two levels (class/patient/study/*.png)")
def folder_nested():
    root = _tree(
        "nested",
        {"NORMAL/p1/s1/a.png": 16, "NORMAL/p2/b.png": 16, "PNEUMONIA/p3/s1/c.png": 16},
    )
    return expect_ok(
        _folder(root), lambda d, _: (len(d.filenames) == 3, f"{len(d.filenames)} files")
    )


@case("datasets", "the data set root (chest_xray/{train,test}/...) instead of a split")
def folder_wrong_level():
    root = _tree(
        "level", {"train/NORMAL/a.png": 16, "train/PNEUMONIA/b.png": 16, "test/NORMAL/c.png": 16}
    )
    return expect_error(_folder(root), (ValueError,), ["sub-folders", "classes"])


@case("datasets", "hidden files (.DS_Store, ._a.png, Thumbs.db) in class folders")
def folder_hidden():
    root = _tree(
        "hidden",
        {
            "NORMAL/a.png": 16,
            "NORMAL/.DS_Store": "x",
            "NORMAL/._a.png": "AppleDouble",
            "PNEUMONIA/b.png": 16,
            "PNEUMONIA/Thumbs.db": "x",
            ".git/HEAD": "ref",
        },
    )

    def check(d, caught):
        return len(d.filenames) == 2 and not caught, f"{len(d.filenames)} files, warnings {caught}"

    return expect_ok(_folder(root), check)


@case("datasets", "mixed image sizes and formats, then ImageLoader(size=24)")
def folder_mixed_sizes():
    root = _tree("mixed", {"NORMAL/a.png": 16, "NORMAL/b.jpg": 64, "PNEUMONIA/c.bmp": 40})
    from xraynet.io import ImageLoader

    def fn():
        return ImageLoader(size=24).transform(_folder(root)().filenames).shape

    return expect_ok(fn, lambda s, _: (s == (3, 24, 24, 1), str(s)))


@case("datasets", "non-image files (notes.txt, scan.pdf) among the images")
def folder_non_images():
    root = _tree(
        "nonimg",
        {
            "NORMAL/a.png": 16,
            "NORMAL/notes.txt": "x",
            "PNEUMONIA/b.png": 16,
            "PNEUMONIA/scan.pdf": "%PDF",
        },
    )
    return expect_warning(_folder(root), ["notes.txt", "skipped"])


@case("datasets", "no recognisable normal class (covid/, influenza/)")
def folder_no_normal():
    root = _tree("nonormal", {"covid/a.png": 16, "influenza/b.png": 16})
    return expect_error(_folder(root), (ValueError,), ["normal_class"])


@case("datasets", "load_image_folder on a file")
def folder_is_file():
    return expect_error(_folder(F["good_png"]), (ValueError,), ["good.png", "folder"])


@case("datasets", "load_image_folder on a missing path")
def folder_missing():
    return expect_error(_folder(ROOT / "nope"), (ValueError,), ["nope", "does not exist"])


@case("datasets", "a class folder with no images")
def folder_empty_class():
    root = _tree("emptyclass", {"NORMAL/a.png": 16, "PNEUMONIA": None})
    return expect_error(_folder(root), (ValueError,), ["PNEUMONIA", "no image"])


@case("datasets", "a class sub-folder it may not read (forked, uid 65534)")
def folder_unreadable_subfolder():
    root = _tree("perm", {"NORMAL/a.png": 16, "PNEUMONIA/b.png": 16, "PNEUMONIA/ward2/c.png": 16})
    (root / "PNEUMONIA" / "ward2").chmod(0)
    try:
        from xraynet.datasets import load_image_folder

        res = as_unprivileged(lambda: [len(load_image_folder(root).filenames)])
    finally:
        (root / "PNEUMONIA" / "ward2").chmod(0o755)
    if "exc" in res:
        words_ok = "ward2" in res["msg"]
        return Outcome(res["exc"], _one_line(res["msg"]), "OK" if words_ok else "WEAK")
    n = res["result"][0]
    return Outcome("returned", f"{n} of 3 images, no warning", "BUG" if n < 3 else "OK")


@case("datasets", "check_files=True with one corrupt image")
def folder_check_files():
    root = _tree("corrupt", {"NORMAL/a.png": 16, "NORMAL/b.png": "garbage", "PNEUMONIA/c.png": 16})
    return expect_warning(
        _folder(root, check_files=True),
        ["b.png", "unreadable"],
        check=lambda d: (len(d.filenames) == 2, f"{len(d.filenames)} files"),
    )


def _table(rows, name="table.csv"):
    import pandas as pd

    path = ROOT / "tables" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _table_images():
    d = ROOT / "tables" / "img"
    if not d.exists():
        for i in range(4):
            _write(d / f"{i}.png", _xray(16, 16, i))
    return d


def _load_table(path, **kw):
    from xraynet.datasets import load_image_table

    kw.setdefault("path_column", "path")
    kw.setdefault("label_column", "label")
    return lambda: load_image_table(path, **kw)


@case("datasets", "load_image_table: path column missing")
def table_missing_column():
    _table_images()
    t = _table({"file": ["img/0.png"], "label": ["normal"]}, "nocol.csv")
    return expect_error(_load_table(t), (ValueError,), ["path_column", "file"])


@case("datasets", "load_image_table: label column missing")
def table_missing_label():
    _table_images()
    t = _table({"path": ["img/0.png"], "finding": ["normal"]}, "nolabel.csv")
    return expect_error(_load_table(t), (ValueError,), ["label_column", "finding"])


@case("datasets", "load_image_table: an empty label cell")
def table_empty_label():
    _table_images()
    t = _table({"path": ["img/0.png", "img/1.png"], "label": ["normal", None]}, "nan.csv")
    return expect_error(_load_table(t), (ValueError,), ["label"])


@case("datasets", "load_image_table: label_map lacks a label")
def table_bad_label_map():
    _table_images()
    t = _table({"path": ["img/0.png", "img/1.png"], "label": ["normal", "weird"]}, "map.csv")
    return expect_error(
        _load_table(t, label_map={"normal": "normal"}), (ValueError,), ["weird", "label_map"]
    )


@case("datasets", "load_image_table: one of three files missing")
def table_missing_file():
    _table_images()
    t = _table(
        {"path": ["img/0.png", "img/9.png", "img/1.png"], "label": ["normal", "sick", "sick"]},
        "missing.csv",
    )
    return expect_warning(
        _load_table(t), ["9.png", "does not exist"], check=lambda d: (len(d.filenames) == 2, "")
    )


@case("datasets", "load_image_table: relative paths, CSV in another folder, no image_dir")
def table_relative_paths():
    _table_images()
    t = _table({"path": ["img/0.png", "img/1.png"], "label": ["normal", "sick"]}, "rel.csv")

    def check(d, _):
        return all(Path(f).is_file() for f in d.filenames), f"resolved to {d.filenames[0]}"

    cwd = os.getcwd()
    os.chdir(ROOT)  # relative to the CSV, not to the working directory
    try:
        return expect_ok(_load_table(t), check)
    finally:
        os.chdir(cwd)


@case("datasets", "load_image_table: every path missing")
def table_all_missing():
    t = _table({"path": ["x/0.png", "x/1.png"], "label": ["normal", "sick"]}, "allmissing.csv")
    return expect_error(_load_table(t), (ValueError,), ["image_dir"])


@case("datasets", "load_image_table on a PNG file (not a CSV)")
def table_not_csv():
    return expect_error(_load_table(F["good_png"]), (ValueError,), ["good.png", "CSV"])


@case("datasets", "load_image_table: labels with no normal class")
def table_no_normal():
    _table_images()
    t = _table({"path": ["img/0.png", "img/1.png"], "label": ["covid", "flu"]}, "nonormal.csv")
    return expect_error(_load_table(t), (ValueError,), ["normal_class"])


# ---------------------------------------------------------------- estimators
def _cnn():
    from xraynet.models import CNNClassifier

    return CNNClassifier(epochs=1, validation_fraction=0, random_state=0)


def _imgs(n, side=16, dtype=np.uint8):
    return np.stack([_xray(side, side, i, i % 2 == 1) for i in range(n)])[..., None].astype(dtype)


@case("estimators", "CNNClassifier.fit on 2-D X (n, 256)")
def cnn_2d():
    X = _imgs(6).reshape(6, -1)
    return expect_error(lambda: _cnn().fit(X, np.arange(6) % 2), (ValueError,), ["shape", "X"])


@case("estimators", "CNNClassifier.fit on 5-D X")
def cnn_5d():
    X = _imgs(6)[..., None]
    return expect_error(lambda: _cnn().fit(X, np.arange(6) % 2), (ValueError,), ["shape"])


@case("estimators", "CNNClassifier.fit on 1 sample")
def cnn_one_sample():
    return expect_error(lambda: _cnn().fit(_imgs(1), [0]), (ValueError,), ["class"])


@case("estimators", "CNNClassifier.fit with a single class")
def cnn_single_class():
    return expect_error(lambda: _cnn().fit(_imgs(6), np.zeros(6, int)), (ValueError,), ["class"])


@case("estimators", "CNNClassifier.fit with string labels, predict returns them")
def cnn_string_labels():
    y = np.array(["normal", "pneumonia"] * 3)

    def fn():
        return _cnn().fit(_imgs(6), y).predict(_imgs(4))

    return expect_ok(fn, lambda p, _: (set(p) <= {"normal", "pneumonia"}, f"predicted {list(p)}"))


@case("estimators", "CNNClassifier.fit on float X with NaN pixels")
def cnn_nan():
    X = _imgs(6, dtype=np.float32) / 255
    X[2, 3, 3, 0] = np.nan
    return expect_error(lambda: _cnn().fit(X, np.arange(6) % 2), (ValueError,), ["NaN"])


@case("estimators", "fitted 16x16 CNN .predict on 24x24 images")
def cnn_wrong_size():
    return expect_error(lambda: MODELS["cnn"].predict(_imgs(2, 24)), (ValueError,), ["16", "24"])


@case("estimators", "fitted 1-channel CNN .predict on RGB images")
def cnn_wrong_channels():
    X = np.repeat(_imgs(2), 3, axis=3)
    return expect_error(lambda: MODELS["cnn"].predict(X), (ValueError,), ["channel"])


@case("estimators", "CNNClassifier().predict before fit")
def cnn_not_fitted():
    from sklearn.exceptions import NotFittedError

    return expect_error(lambda: _cnn().predict(_imgs(2)), (NotFittedError,), ["fit"])


@case("estimators", "CNNClassifier.fit with len(y) != len(X)")
def cnn_length_mismatch():
    return expect_error(lambda: _cnn().fit(_imgs(6), [0, 1, 0]), (ValueError,), ["6", "3"])


@case("estimators", "CNNClassifier(epochs=0).fit")
def cnn_epochs_zero():
    from xraynet.models import CNNClassifier

    return expect_error(
        lambda: CNNClassifier(epochs=0).fit(_imgs(6), np.arange(6) % 2), (ValueError,), ["epochs"]
    )


@case("estimators", "CNNClassifier.fit on file paths (no ImageLoader)")
def cnn_paths():
    X = np.array([str(F["good_png"])] * 4, dtype=object)
    return expect_error(lambda: _cnn().fit(X, [0, 1, 0, 1]), (ValueError,), ["ImageLoader"])


# ---------------------------------------------------------------- persistence
def _load(path, **kw):
    from xraynet.models import load_model

    return lambda: load_model(path, **kw)


@case("persistence", "load_model on 4 KB of random bytes named .keras")
def persist_garbage_keras():
    p = ROOT / "models" / "garbage.keras"
    return expect_error(_load(p), (ValueError,), ["garbage.keras", "not a .keras"])


@case("persistence", "load_model on a corrupt zip named .xraynet")
def persist_garbage_bundle():
    p = ROOT / "models" / "garbage.xraynet"
    return expect_error(_load(p), (ValueError,), ["garbage.xraynet"])


@case("persistence", "load_model on a .keras cut in half")
def persist_truncated_keras():
    p = ROOT / "models" / "truncated.keras"
    return expect_error(_load(p), (ValueError,), ["truncated.keras"])


@case("persistence", "load_model on a plain pickle (.pkl), trusted=False")
def persist_pickle():
    p = ROOT / "models" / "random.pkl"
    return expect_error(_load(p), (ValueError,), ["random.pkl", "trusted=True"])


@case("persistence", "load_model on a code-running pickle (.joblib), trusted=False")
def persist_evil_pickle():
    out = expect_error(_load(ROOT / "models" / "evil.joblib"), (ValueError,), ["trusted=True"])
    if (ROOT / "pwned").exists():
        return Outcome(out.status, "the pickle's code ran", "BUG")
    return out


@case("persistence", "load_model on a pickle renamed .skops")
def persist_pickle_as_skops():
    p = ROOT / "models" / "pickle_named.skops"
    return expect_error(_load(p), (ValueError,), ["pickle_named.skops", "pickle"])


@case("persistence", "load_model on a .skops naming posix.system")
def persist_untrusted_skops():
    p = ROOT / "models" / "untrusted.skops"
    return expect_error(_load(p), (ValueError,), ["untrusted.skops", "system", "trusted=True"])


@case("persistence", "load_model on a .keras whose metadata names os:system")
def persist_foreign_class():
    p = ROOT / "models" / "foreign.keras"
    return expect_error(_load(p), (ValueError,), ["os:system", "xraynet"])


@case("persistence", "load_model on a bundle with a '../../evil.keras' entry")
def persist_traversal():
    p = ROOT / "models" / "traversal.xraynet"
    out = expect_error(_load(p), (ValueError,), ["evil.keras"])
    if (ROOT.parent / "evil.keras").exists():
        return Outcome(out.status, "wrote outside the archive", "BUG")
    return out


@case("persistence", "load_model on an empty .skops")
def persist_empty():
    return expect_error(_load(ROOT / "models" / "empty.skops"), (ValueError,), ["empty"])


@case("persistence", "load_model on a zip that is no model")
def persist_plain_zip():
    return expect_error(_load(ROOT / "models" / "plain.zip"), (ValueError,), ["plain.zip", "zip"])


@case("persistence", "load_model on a folder / a missing file")
def persist_folder_missing():
    a = expect_error(_load(ROOT / "models"), (ValueError,), ["folder"])
    b = expect_error(_load(ROOT / "models" / "nope.keras"), (FileNotFoundError,), ["nope.keras"])
    worst = max((a, b), key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(f"{a.status} / {b.status}", f"{a.message} / {b.message}", worst.verdict)


@case("persistence", "load_model(trusted=True) on random bytes named .joblib")
def persist_trusted_garbage():
    p = ROOT / "models" / "garbage.joblib"
    p.write_bytes(b"\x80\x04" + np.random.default_rng(3).bytes(100))
    return expect_error(_load(p, trusted=True), (ValueError,), ["garbage.joblib", "unpickle"])


@case("persistence", "load_model on a FIFO named model.keras (nobody writes)")
def persist_fifo():
    fifo = ROOT / "models" / "fifo.keras"
    os.mkfifo(fifo)
    try:
        return expect_error(
            _load(fifo, trusted=True), (ValueError,), ["fifo.keras", "regular file"]
        )
    finally:
        if fifo.exists():
            with contextlib.suppress(OSError):  # unblock a hung open, if any
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                os.close(fd)
            fifo.unlink()


def _tampered(name, mutate):
    """A copy of the CNN archive whose xraynet metadata text is ``mutate(meta)``."""
    dst = ROOT / "models" / name
    with (
        zipfile.ZipFile(MODELS["keras"]) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for item in zin.infolist():
            payload = zin.read(item)
            if item.filename == "xraynet_estimator.json":
                payload = mutate(json.loads(payload)).encode()
            zout.writestr(item, payload)
    return dst


@case("persistence", "load_model on .keras metadata nested 100000 deep")
def persist_deep_meta():
    p = _tampered("deep.keras", lambda m: "[" * 100_000 + "]" * 100_000)
    return expect_error(
        _load(p), (ValueError,), ["deep.keras", "corrupt"], bad_types=(RecursionError,)
    )


@case("persistence", "load_model on .keras metadata whose params are a list")
def persist_meta_list():
    def mutate(m):
        m["params"] = [1, 2]
        return json.dumps(m)

    return expect_error(_load(_tampered("list.keras", mutate)), (ValueError,), ["list.keras"])


@case("persistence", "load_model on .keras metadata padded to 65 MB (zip bomb, ~70 KB packed)")
def persist_meta_bomb():
    p = _tampered("bomb.keras", lambda m: json.dumps(m) + " " * (65 * 1024**2))
    return expect_error(_load(p), (ValueError,), ["bomb.keras", "bytes"])


@case("persistence", "load_model on a .keras whose network has a Lambda layer")
def persist_lambda():
    import keras

    net = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Lambda(lambda x: x * 2)])
    raw = ROOT / "models" / "lambda_raw.keras"
    net.save(raw)
    dst = ROOT / "models" / "lambda.keras"
    with (
        zipfile.ZipFile(raw) as zin,
        zipfile.ZipFile(MODELS["keras"]) as zmeta,
        zipfile.ZipFile(dst, "w") as zout,
    ):
        for item in zin.infolist():
            zout.writestr(item, zin.read(item))
        zout.writestr("xraynet_estimator.json", zmeta.read("xraynet_estimator.json"))
    return expect_error(_load(dst), (ValueError,), ["lambda.keras", "safe_mode"])


@case("persistence", "a .skops holding numpy's DataSource aimed at a folder (rmtree in __del__)")
def persist_skops_datasource():
    import gc

    import skops.io as sio
    from numpy.lib.npyio import DataSource

    victim = ROOT / "victim"
    victim.mkdir()
    (victim / "scan.png").write_bytes(b"precious")
    bait = DataSource.__new__(DataSource)
    bait.__dict__.update(_destpath=str(victim), _istmpdest=True)
    path = ROOT / "models" / "datasource.skops"
    path.write_bytes(sio.dumps({"model": "x", "cache": bait}))
    bait._istmpdest = False
    o = expect_error(_load(path), (ValueError,), ["datasource.skops", "DataSource"])
    gc.collect()
    if not (victim / "scan.png").exists():
        return Outcome(o.status, "loading deleted the folder", "BUG")
    return o


@case("persistence", "a .skops holding a scipy.stats distribution whose template runs code")
def persist_skops_scipy_exec():
    import scipy.stats as st
    import skops.io as sio

    marker = ROOT / "pwned_scipy"
    dist = type(st.norm).__new__(type(st.norm))
    state = {k: v for k, v in vars(st.norm).items() if not callable(v)}
    state["_parse_arg_template"] = f"open({str(marker)!r}, 'w').close()\n" + "".join(
        f"def {f}(self): pass\n" for f in ("_parse_args", "_parse_args_stats", "_parse_args_rvs")
    )
    dist.__dict__.update(state)
    path = ROOT / "models" / "dist.skops"
    path.write_bytes(sio.dumps(dist))
    o = expect_error(_load(path), (ValueError,), ["dist.skops", "norm_gen"])
    if marker.exists():
        return Outcome(o.status, "the file's code ran on load", "BUG")
    return o


@case("persistence", "a .skops naming urllib's Request through sklearn.datasets._openml")
def persist_skops_reexport():
    import skops.io as sio
    from sklearn.preprocessing import StandardScaler

    path = ROOT / "models" / "reexport.skops"
    with (
        zipfile.ZipFile(io.BytesIO(sio.dumps(StandardScaler()))) as zin,
        zipfile.ZipFile(path, "w") as zout,
    ):
        for item in zin.infolist():
            payload = zin.read(item)
            if item.filename == "schema.json":
                schema = json.loads(payload)
                schema["__module__"], schema["__class__"] = "sklearn.datasets._openml", "Request"
                payload = json.dumps(schema).encode()
            zout.writestr(item, payload)
    return expect_error(_load(path), (ValueError,), ["reexport.skops", "_openml.Request"])


@case("persistence", "a .keras whose config names a layer os.system")
def persist_keras_foreign_module():
    with zipfile.ZipFile(MODELS["keras"]) as z:
        cfg = json.loads(z.read("config.json"))
    marker = ROOT / "pwned_keras"
    layers = cfg["config"]["layers"]
    layers[1] = {
        **layers[1],
        "module": "os",
        "class_name": "system",
        "registered_name": None,
        "config": {"command": f"touch {marker}"},
    }
    dst = ROOT / "models" / "os_layer.keras"
    with zipfile.ZipFile(MODELS["keras"]) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            payload = zin.read(item)
            zout.writestr(
                item, json.dumps(cfg).encode() if item.filename == "config.json" else payload
            )
    o = expect_error(_load(dst), (ValueError,), ["os_layer.keras", "network"])
    if marker.exists():
        return Outcome(o.status, "the file's code ran on load", "BUG")
    return o


@case("persistence", "save_model over a previous model.keras, Keras failing half-way")
def persist_save_fails_halfway():
    import keras

    from xraynet.models import load_model, save_model

    class Unsaveable(keras.layers.Layer):
        def get_config(self):
            raise RuntimeError("cannot describe this layer")

    target = ROOT / "models" / "previous" / "model.keras"
    target.parent.mkdir()
    shutil.copy(MODELS["keras"], target)
    before = target.read_bytes()
    clf = load_model(MODELS["keras"])
    clf.model_ = keras.Sequential([keras.Input((16, 16, 1)), Unsaveable()])
    o = expect_error(lambda: save_model(clf, target), (RuntimeError, ValueError), ["describe"])
    if target.read_bytes() != before:
        return Outcome(o.status, f"the previous model is now {target.stat().st_size} bytes", "BUG")
    if len(list(target.parent.iterdir())) != 1:
        return Outcome(o.status, "a temporary file was left behind", "WEAK")
    return Outcome(o.status, "previous model intact, no temporary file left", "OK")


@case("persistence", "save_model to a path under a file (results.txt/model)")
def persist_save_under_file():
    from xraynet.models import save_model

    blocker = ROOT / "models" / "results.txt"
    blocker.write_text("x")
    return expect_error(
        lambda: save_model(MODELS["cnn"], blocker / "model"), (OSError, ValueError), ["results.txt"]
    )


@case("persistence", "save_model with a mismatched suffix (CNN -> .skops)")
def persist_save_suffix():
    from xraynet.models import save_model

    return expect_error(
        lambda: save_model(MODELS["cnn"], ROOT / "models" / "x.skops"), (ValueError,), [".keras"]
    )


# ---------------------------------------------------------------- CLI
def _predict(*args):
    return ["predict", *args]


@case("cli", "xraynet (no command)")
def cli_no_command():
    rc, out, err = run_cli([])
    verdict = "OK" if rc == 2 and "COMMAND" in (out + err) else "WEAK"
    return Outcome(f"exit {rc}", "prints the help", verdict)


@case("cli", "xraynet frobnicate")
def cli_unknown_command():
    return cli_case(["frobnicate"], 2, ["frobnicate"])


@case("cli", "compare on a missing DATA_DIR")
def cli_compare_missing():
    return cli_case(["compare", ROOT / "nope", "--out", ROOT / "o1"], 2, ["DATA_DIR", "nope"])


@case("cli", "compare with DATA_DIR a file")
def cli_compare_file():
    return cli_case(["compare", F["good_png"], "--out", ROOT / "o1"], 2, ["good.png"])


def _compare(*extra):
    return ["compare", F["data_dir"], "--models", "hog_svm", "--quick", "-q", *extra]


NUMERIC = [
    ("--cv", ["1", "abc", "-3", "1.5", "30"]),
    ("--size", ["0", "abc", "-8"]),
    ("--epochs", ["0", "x"]),
    ("--n-jobs", ["abc", "0"]),
    ("--random-state", ["-1", "abc", "99999999999"]),
    ("--max-pixels", ["0", "1e6"]),
]


@case("cli", "compare: every numeric option with bad values (15 runs)")
def cli_compare_numbers():
    rows = []
    for option, values in NUMERIC:
        for v in values:
            o = cli_case(_compare(option, v, "--out", ROOT / "onum"), 2, [option])
            rows.append((f"{option} {v}", o))
    bad = [(n, o) for n, o in rows if o.verdict != "OK"]
    if not bad:
        return Outcome("exit 2 x15", f"e.g. {rows[4][1].message}", "OK")
    worst = max(bad, key=lambda r: ("OK", "WEAK", "BUG").index(r[1].verdict))
    return Outcome(
        worst[1].status,
        "; ".join(f"{n}: {o.status} {o.message} [{o.verdict}]" for n, o in bad),
        worst[1].verdict,
    )


@case("cli", "compare --out an existing file")
def cli_compare_out_file():
    blocker = ROOT / "out_is_a_file.txt"
    blocker.write_text("keep me")
    o = cli_case(_compare("--out", blocker), 2, ["--out", "out_is_a_file.txt"])
    if blocker.read_text() != "keep me":
        return Outcome(o.status, "the file was replaced", "BUG")
    return o


@case("cli", "compare --out under a file (file.txt/results)")
def cli_compare_out_under_file():
    blocker = ROOT / "blocker.txt"
    blocker.write_text("x")
    return cli_case(_compare("--out", blocker / "results"), 2, ["--out"])


@case("cli", "compare --out in a folder it cannot write (forked, uid 65534)")
def cli_compare_out_unwritable():
    locked = ROOT / "locked"
    locked.mkdir()
    locked.chmod(0o755 if os.geteuid() == 0 else 0o555)  # root-owned: uid 65534 cannot write
    res = as_unprivileged(lambda: run_cli(_compare("--out", locked / "results"), timeout=60))
    if "exc" in res:
        return Outcome(res["exc"], _one_line(res["msg"]), "BUG", "escaped main()")
    rc, out, err = res["result"]
    o = judge_cli(rc, out, err, 2, ["--out", "cannot"])
    if "leaderboard" in out:
        return Outcome(o.status, "refused only after training", "BUG")
    return o


@case("cli", "compare --models nope")
def cli_compare_unknown_model():
    return cli_case(_compare("--models", "nope", "--out", ROOT / "o2"), 2, ["nope", "hog_svm"])


@case("cli", "compare on a folder with one class")
def cli_compare_one_class():
    root = _tree("cli_one", {"NORMAL/a.png": 16, "NORMAL/b.png": 16})
    return cli_case(["compare", root, "--quick", "--out", ROOT / "o3"], 2, ["one class"])


@case("cli", "compare on a folder without a normal class")
def cli_compare_no_normal():
    root = _tree("cli_nonormal", {"covid/a.png": 16, "flu/b.png": 16})
    return cli_case(["compare", root, "--quick", "--out", ROOT / "o4"], 2, ["--normal"])


@case("cli", "compare --test on a missing folder")
def cli_compare_missing_test():
    return cli_case(_compare("--test", ROOT / "nope", "--out", ROOT / "o5"), 2, ["--test", "nope"])


@case("cli", "compare --dataset pneumoniamnist with DATA_DIR too")
def cli_compare_both():
    return cli_case(
        ["compare", F["data_dir"], "--dataset", "pneumoniamnist", "--out", ROOT / "o6"],
        2,
        ["DATA_DIR", "--dataset"],
    )


@case("cli", "compare --patient-pattern '(' (invalid regex)")
def cli_compare_bad_regex():
    return cli_case(
        _compare("--patient-pattern", "(", "--out", ROOT / "o7"), 2, ["--patient-pattern"]
    )


@case("cli", "compare on a folder with a corrupt image (no --skip-unreadable)")
def cli_compare_corrupt():
    layout = {f"NORMAL/person{i}_n.png": 24 for i in range(6)}
    layout.update({f"PNEUMONIA/person{i + 10}_bacteria_1.png": 24 for i in range(6)})
    layout["PNEUMONIA/person99_bacteria_9.png"] = "not a png"
    root = _tree("cli_corrupt", layout)
    rc, out, err = run_cli(
        [
            "compare",
            root,
            "--models",
            "hog_svm",
            "--quick",
            "--no-stress",
            "--cv",
            "2",
            "-q",
            "--out",
            ROOT / "o8",
        ],
        timeout=180,
    )
    if rc == 0:
        return Outcome("exit 0", "ran through a corrupt file without a word", "BUG")
    return judge_cli(rc, out, err, 1, ["person99_bacteria_9.png"])


@case("cli", "predict with a missing MODEL")
def cli_predict_missing_model():
    return cli_case(_predict(ROOT / "nope.skops", F["good_png"]), 2, ["MODEL", "nope.skops"])


@case("cli", "predict with a random pickle as MODEL")
def cli_predict_pickle():
    return cli_case(_predict(ROOT / "models" / "random.pkl", F["good_png"]), 2, ["--trust-pickle"])


@case("cli", "predict with a code-running pickle, no --trust-pickle")
def cli_predict_evil():
    o = cli_case(_predict(ROOT / "models" / "evil.pkl", F["good_png"]), 2, ["MODEL", "evil.pkl"])
    if (ROOT / "pwned").exists():
        return Outcome(o.status, "the pickle's code ran", "BUG")
    return o


@case("cli", "predict --trust-pickle with a pickle holding a dict")
def cli_predict_trusted_dict():
    return cli_case(
        _predict(ROOT / "models" / "random.pkl", F["good_png"], "--trust-pickle"), 2, ["classifier"]
    )


@case("cli", "predict with a truncated .keras")
def cli_predict_truncated_keras():
    return cli_case(
        _predict(ROOT / "models" / "truncated.keras", F["good_png"]), 2, ["truncated.keras"]
    )


@case("cli", "predict with a .skops naming posix.system")
def cli_predict_untrusted_skops():
    return cli_case(_predict(ROOT / "models" / "untrusted.skops", F["good_png"]), 2, ["system"])


@case("cli", "predict with MODEL a folder")
def cli_predict_model_folder():
    return cli_case(_predict(ROOT / "models", F["good_png"]), 2, ["folder"])


@case("cli", "predict: good, missing, corrupt and FIFO images -> rows for the good ones")
def cli_predict_mixed():
    rc, out, err = run_cli(
        _predict(
            MODELS["skops"],
            F["good_png"],
            ROOT / "bad" / "missing.png",
            F["trunc_png"],
            F["fifo"],
            F["umlaut"],
        )
    )
    rows = [ln for ln in out.splitlines()[1:] if ln.strip()]
    o = judge_cli(rc, out, err, 1, ["missing.png", "truncated.png", "pipe.png"], max_lines=5)
    if o.verdict == "OK" and len(rows) != 2:
        return Outcome(o.status, f"{len(rows)} rows printed, expected 2", "BUG")
    return o


@case("cli", "predict with MODEL a FIFO (nobody writes)")
def cli_predict_fifo_model():
    fifo = ROOT / "models" / "fifo_model.skops"
    os.mkfifo(fifo)
    try:
        return cli_case(_predict(fifo, F["good_png"]), 2, ["fifo_model.skops", "regular file"])
    finally:
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        fifo.unlink()


@case("cli", "predict --threshold 0.99 on a 3-class model")
def cli_predict_threshold_multiclass():
    rc, out, err = run_cli(_predict(MODELS["three"], F["good_png"], "--threshold", "0.99"))
    if rc == 0:
        return Outcome("exit 0", "--threshold silently ignored (argmax used)", "BUG")
    return judge_cli(rc, out, err, 2, ["--threshold", "3 classes"])


@case("cli", "predict with a foreign metrics.json (a JSON list) beside MODEL")
def cli_predict_foreign_sidecar():
    (MODELS["three"].parent / "metrics.json").write_text("[1, 2]")
    rc, out, err = run_cli(_predict(MODELS["three"], F["good_png"]))
    (MODELS["three"].parent / "metrics.json").unlink()
    if rc == 0:
        return Outcome("exit 0", _one_line(out.splitlines()[-1]), "OK")
    return judge_cli(rc, out, err, 0)


@case("cli", "predict on a folder holding a symlink loop and one image")
def cli_predict_symlink_folder():
    root = _tree("cli_loop", {"a.png": 16})
    os.symlink(root, root / "again")
    rc, out, err = run_cli(_predict(MODELS["skops"], root))
    rows = [ln for ln in out.splitlines()[1:] if ln.strip()]
    if rc == "hang" or "Traceback" in err:
        return judge_cli(rc, out, err, 0)
    return Outcome(
        f"exit {rc}", f"{len(rows)} row(s)", "OK" if rc == 0 and len(rows) == 1 else "BUG"
    )


@case("cli", "predict --size 24 with a 16 px CNN / --size 64 with a loader model")
def cli_predict_size_mismatch():
    a = cli_case(
        _predict(MODELS["keras"], F["good_png"], F["space"], "--size", "24"), 2, ["--size", "16x16"]
    )
    b = cli_case(_predict(MODELS["skops"], F["good_png"], "--size", "64"), 2, ["--size"])
    worst = max((a, b), key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, f"{a.message} / {b.message}", worst.verdict)


@case("cli", "predict with a model whose stored threshold_ is NaN")
def cli_predict_nan_threshold():
    from xraynet.models import load_model, save_model

    model = load_model(MODELS["skops"])
    model.threshold_ = float("nan")
    path = save_model(model, ROOT / "models" / "nan_threshold")
    rc, out, err = run_cli(_predict(path, F["good_png"]))
    if rc == 0:
        return Outcome(
            "exit 0", f"predicted {out.splitlines()[-1].split()[-1]} at threshold nan", "BUG"
        )
    return judge_cli(rc, out, err, 2, ["threshold_", "nan"])


@case("cli", "python -m xraynet predict ... | head -0 (stdout closed early)", slow=True)
def cli_broken_pipe():
    env = {k: v for k, v in os.environ.items() if k != "XRAYNET_DEBUG"}
    p = subprocess.Popen(
        [sys.executable, "-m", "xraynet", "predict", MODELS["skops"], F["good_png"], F["space"]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    p.stdout.close()  # like `| head -0`: the reader is gone before the first row
    try:
        err = p.stderr.read()
        rc = p.wait(timeout=180)
    except subprocess.TimeoutExpired:
        p.kill()
        return Outcome("hang", "", "BUG")
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("#")]
    if "Traceback" in err:
        return Outcome(f"exit {rc}", _one_line(lines[-1]), "BUG", "traceback")
    if lines:
        return Outcome(f"exit {rc}", _one_line(" / ".join(lines)), "WEAK", "noise on stderr")
    return Outcome(f"exit {rc}", "quiet", "OK")


@case("cli", "predict with a CNN whose weights are all NaN")
def cli_predict_nan_network():
    from xraynet.models import load_model, save_model

    broken = load_model(MODELS["keras"])
    broken.model_.set_weights(
        [np.full(w.shape, np.nan, w.dtype) for w in broken.model_.get_weights()]
    )
    path = save_model(broken, ROOT / "models" / "nan_weights")
    rc, out, err = run_cli(_predict(path, F["good_png"], F["space"]))
    rows = [ln for ln in out.splitlines()[1:] if ln.strip()]
    if rows:
        return Outcome(f"exit {rc}", f"{len(rows)} rows, e.g. {_one_line(rows[0], 60)}", "BUG")
    return judge_cli(rc, out, err, 1, ["non-finite"], max_lines=4)


@case("cli", "predict on a PACS folder: DICOMs named by UID, a notes.txt")
def cli_predict_pacs_folder():
    root = ROOT / "pacs"
    root.mkdir()
    shutil.copy(F["dcm_good"], root / "1.2.840.113619.2.55.3.1")
    (root / "notes.txt").write_text("x")
    rc, out, err = run_cli(_predict(MODELS["keras"], root))
    rows = [ln for ln in out.splitlines()[1:] if ln.strip()]
    ok = rc == 0 and len(rows) == 1
    return Outcome(f"exit {rc}", f"{len(rows)} row(s) {_one_line(err, 80)}", "OK" if ok else "BUG")


@case("cli", "predict --from-file saved by Notepad (UTF-8 BOM, CRLF)")
def cli_predict_bom():
    listing = ROOT / "scans.txt"
    listing.write_bytes(
        ("\r\n".join([str(F["good_png"]), str(F["space"])]) + "\r\n").encode("utf-8-sig")
    )
    rc, out, err = run_cli(_predict(MODELS["skops"], "--from-file", listing))
    rows = [ln for ln in out.splitlines()[1:] if ln.strip()]
    ok = rc == 0 and len(rows) == 2
    return Outcome(f"exit {rc}", f"{len(rows)} row(s) {_one_line(err, 80)}", "OK" if ok else "BUG")


@case("cli", "predict with MODEL the results folder of compare")
def cli_predict_results_folder():
    return cli_case(_predict(MODELS["skops"].parent, F["good_png"]), 2, ["folder", "model.skops"])


@case("cli", "compare --size 100000 (a typo for 100)")
def cli_compare_size_huge():
    return cli_case(
        _compare("--size", "100000", "--no-stress", "--out", ROOT / "o9"), 2, ["--size"]
    )


@case("cli", "predict --threshold 2 / nan / -0.1")
def cli_predict_threshold():
    outs = [
        cli_case(_predict(MODELS["skops"], F["good_png"], "--threshold", t), 2, ["--threshold"])
        for t in ("2", "nan", "-0.1")
    ]
    worst = max(outs, key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, outs[0].message, worst.verdict)


@case("cli", "predict --size 0 / --max-pixels -5")
def cli_predict_numbers():
    a = cli_case(_predict(MODELS["keras"], F["good_png"], "--size", "0"), 2, ["--size"])
    b = cli_case(
        _predict(MODELS["skops"], F["good_png"], "--max-pixels", "-5"), 2, ["--max-pixels"]
    )
    worst = max((a, b), key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, f"{a.message} / {b.message}", worst.verdict)


@case("cli", "predict a PNG bomb with --max-pixels 1000")
def cli_predict_bomb():
    return cli_case(
        _predict(MODELS["skops"], F["good_png"], "--max-pixels", "1000"), 1, ["--max-pixels"]
    )


@case("cli", "predict a folder with no images")
def cli_predict_empty_folder():
    root = _tree("cli_noimg", {"readme.txt": "x"})
    return cli_case(_predict(MODELS["skops"], root), 2, ["no image files"])


@case("cli", "predict --from-file missing / binary")
def cli_predict_from_file():
    binary = ROOT / "list.bin"
    binary.write_bytes(b"\xff\xfe\x00\x80" * 50)
    a = cli_case(_predict(MODELS["skops"], "--from-file", ROOT / "nolist.txt"), 2, ["--from-file"])
    b = cli_case(_predict(MODELS["skops"], "--from-file", binary), 2, ["--from-file"])
    worst = max((a, b), key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, f"{a.message} / {b.message}", worst.verdict)


@case("cli", "predict --classes a,b,c on a 2-class model")
def cli_predict_classes():
    return cli_case(
        _predict(MODELS["skops"], F["good_png"], "--classes", "a,b,c"), 2, ["--classes"]
    )


@case("cli", "predict --classes 'normal,' / 'a,a'")
def cli_predict_classes_empty():
    outs = [
        cli_case(
            _predict(MODELS["skops"], F["good_png"], "--classes", c), 2, ["--classes", "distinct"]
        )
        for c in ("normal,", "a,a")
    ]
    worst = max(outs, key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, " / ".join(o.message for o in outs), worst.verdict)


@case("cli", "predict MODEL --format csv IMAGE IMAGE (images after the options)")
def cli_predict_intermixed():
    rc, out, err = run_cli(
        ["predict", MODELS["skops"], "--format", "csv", F["good_png"], F["space"]]
    )
    rows = [ln for ln in out.splitlines()[1:] if ln.strip()]
    if rc != 0:
        return judge_cli(rc, out, err, 0)
    return Outcome("exit 0", f"{len(rows)} rows", "OK" if len(rows) == 2 else "BUG")


@case("cli", "predict --format xml")
def cli_predict_format():
    return cli_case(_predict(MODELS["skops"], F["good_png"], "--format", "xml"), 2, ["--format"])


@case("cli", "predict with the .keras CNN on a 64 px image (resized to 16)")
def cli_predict_keras():
    rc, out, err = run_cli(_predict(MODELS["keras"], F["good_png"], "--format", "json"))
    try:
        p = json.loads(out)["predictions"][0]["p_disease"]
    except (ValueError, KeyError, IndexError):
        return Outcome(f"exit {rc}", _one_line(err or out), "BUG")
    return Outcome(f"exit {rc}", f"p_disease {p:.3f}", "OK" if rc == 0 and 0 <= p <= 1 else "BUG")


@case("cli", "evaluate with a missing TEST")
def cli_evaluate_missing():
    return cli_case(
        ["evaluate", MODELS["skops"], ROOT / "nope", "--out", ROOT / "e1"], 2, ["TEST", "nope"]
    )


@case("cli", "evaluate with a CSV lacking the label column")
def cli_evaluate_bad_csv():
    _table_images()
    t = _table({"path": ["img/0.png", "img/1.png"], "finding": ["normal", "sick"]}, "eval.csv")
    return cli_case(["evaluate", MODELS["skops"], t, "--out", ROOT / "e2"], 2, ["label"])


@case("cli", "evaluate --out an existing file")
def cli_evaluate_out_file():
    blocker = ROOT / "eval_out.txt"
    blocker.write_text("keep me")
    rc, out, err = run_cli(
        ["evaluate", MODELS["skops"], F["test_dir"], "--out", blocker, "--no-stress", "-q"]
    )
    if not blocker.is_file() or blocker.read_text() != "keep me":
        return Outcome(f"exit {rc}", "replaced the user's file with a results folder", "BUG")
    return judge_cli(rc, out, err, 2, ["--out"])


@case("cli", "evaluate --random-state abc / --threshold 2")
def cli_evaluate_numbers():
    a = cli_case(
        ["evaluate", MODELS["skops"], F["test_dir"], "--out", ROOT / "e3", "--random-state", "abc"],
        2,
        ["--random-state"],
    )
    b = cli_case(
        ["evaluate", MODELS["skops"], F["test_dir"], "--out", ROOT / "e3", "--threshold", "2"],
        2,
        ["--threshold"],
    )
    worst = max((a, b), key=lambda o: ("OK", "WEAK", "BUG").index(o.verdict))
    return Outcome(worst.status, f"{a.message} / {b.message}", worst.verdict)


@case("cli", "evaluate a 2-class model on a 3-class folder")
def cli_evaluate_classes():
    root = _tree("eval3", {"NORMAL/a.png": 16, "covid/b.png": 16, "flu/c.png": 16})
    return cli_case(["evaluate", MODELS["skops"], root, "--out", ROOT / "e4"], 2, ["3 classes"])


@case("cli", "evaluate on a folder with a corrupt image")
def cli_evaluate_corrupt():
    root = _tree(
        "eval_corrupt", {"NORMAL/a.png": 32, "NORMAL/b.png": "junk", "PNEUMONIA/c.png": 32}
    )
    rc, out, err = run_cli(
        ["evaluate", MODELS["skops"], root, "--out", ROOT / "e5", "--no-stress", "-q"]
    )
    if rc == 0:
        return Outcome("exit 0", "evaluated around a corrupt file without a word", "BUG")
    return judge_cli(rc, out, err, 1, ["b.png"])


def _fd_stderr_of_reading(path):
    """stderr, at file-descriptor level, of a process that reads ``path`` with read_image."""
    code = "import sys\nfrom xraynet.io import read_image\ntry:\n    read_image(sys.argv[1])\nexcept ValueError:\n    pass\n"
    return run_subprocess(["-c", code, path], timeout=120)[2]


@case("io", "a complete JPEG with grey corners (the truncation check runs): stderr", slow=True)
def io_jpeg_check_quiet():
    img = np.full((96, 96), 128, np.uint8)
    cv2.circle(img, (48, 48), 30, 220, -1)
    path = _write(ROOT / "bad" / "grey_corners.jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    err = _fd_stderr_of_reading(path).strip()
    if err:
        return Outcome("printed", _one_line(" / ".join(err.splitlines()[:2])), "WEAK", "noise")
    return Outcome("quiet", "nothing on stderr", "OK")


@case("cli", "python -m xraynet predict on corrupt files: lines on stderr (fd level)", slow=True)
def cli_subprocess_corrupt_lines():
    rc, out, err = run_subprocess(
        [
            "-m",
            "xraynet",
            *_predict(MODELS["skops"], F["trunc_jpg_eoi"], F["text_jpg"], F["bomb_gif"]),
        ]
    )
    ours = [ln for ln in err.splitlines() if ln.startswith(("xraynet:", "#"))]
    other = [ln for ln in err.splitlines() if ln.strip() and ln not in ours]
    o = judge_cli(rc, out, err, 1, ["truncated_eoi.jpg", "notes.jpg", "bomb.gif"], max_lines=4)
    if o.verdict == "OK" and other:
        return Outcome(
            o.status,
            f"{len(other)} line(s) from C libraries: {_one_line(other[0], 80)}",
            "WEAK",
            "libjpeg prints itself",
        )
    return o


@case("cli", "python -m xraynet predict on a missing image (a real process)", slow=True)
def cli_subprocess_predict():
    rc, out, err = run_subprocess(["-m", "xraynet", *_predict(MODELS["skops"], ROOT / "gone.png")])
    return judge_cli(rc, out, err, 1, ["gone.png", "not found"])


# ---------------------------------------------------------------- main
def main(argv=None):
    global ROOT
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "-k", default="", help="only cases whose group or name contains one of these (A,B,...)"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="skip the cases that start a Python process of their own (make bench-quick)",
    )
    p.add_argument(
        "--strict", action="store_true", help="exit 1 when a case is a BUG (default: report only)"
    )
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    ROOT = Path(tempfile.mkdtemp(prefix="xraynet-trial-"))
    ROOT.chmod(0o755)  # the unprivileged-user cases must reach their files
    (ROOT / "home").mkdir()
    (ROOT / "home").chmod(0o777)
    try:
        F.update(build_fixtures())
        import xraynet.models  # noqa: F401 - TensorFlow once, before the timed cases

        build_models()
        print(f"fixtures ready in {time.perf_counter() - t0:.0f} s under {ROOT}", file=sys.stderr)
        keys = args.k.split(",")
        selected = [
            c
            for c in CASES
            if any(k in c[0] or k in c[1] for k in keys) and not (args.quick and c[1] in SLOW)
        ]
        for i, (group, name, what, fn) in enumerate(selected, 1):
            t = time.perf_counter()
            try:
                o = fn()
            except Exception as exc:  # noqa: BLE001 - a broken case is reported, not fatal
                o = Outcome(
                    "trial error", f"{type(exc).__name__}: {exc}", "BUG", "case itself failed"
                )
            RESULTS.append((i, group, name, what, o, time.perf_counter() - t))
            print(
                f"{i:3d} {o.verdict:4s} {name} ({time.perf_counter() - t:.1f} s)", file=sys.stderr
            )
    finally:
        with contextlib.suppress(FileNotFoundError):
            F["fifo"].unlink()
        for p_ in (ROOT / "bad" / "secret.png", ROOT / "locked"):
            with contextlib.suppress(FileNotFoundError):
                p_.chmod(0o755)
        shutil.rmtree(ROOT, ignore_errors=True)
    print_table()
    counts = {v: sum(r[4].verdict == v for r in RESULTS) for v in ("OK", "WEAK", "BUG")}
    print(
        f"\n{len(RESULTS)} cases: {counts['OK']} OK, {counts['WEAK']} WEAK, {counts['BUG']} BUG"
        f"  ({time.perf_counter() - t0:.0f} s)"
    )
    return 1 if args.strict and counts["BUG"] else 0


def print_table():
    """One row per case; the temporary folder is shown as <tmp>."""
    print(f"{'#':>3} {'verdict':7} {'group':11} {'case':32} {'outcome':16} message")
    for i, group, name, what, o, _ in RESULTS:
        note = f"  [{o.note}]" if o.note else ""
        msg = o.message.replace(str(ROOT), "<tmp>")
        print(f"{i:3d} {o.verdict:7} {group:11} {name[:32]:32} {o.status[:16]:16} {msg}{note}")
        print(f"{'':3} {'':7} {'':11} {'  ' + what}")


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
